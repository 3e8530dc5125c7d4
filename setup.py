"""Distribution `hummingbot-grvt`: the GRVT perpetual connector for Hummingbot and the GRVT sandbox.

Installed into an environment that already has Hummingbot, it places the connector at
hummingbot/connector/derivative/grvt_perpetual/, replacing the copy Hummingbot ships.
For development, use `make install` instead (see README.md).
"""
from setuptools import find_packages, setup

CONNECTOR_PACKAGE = "hummingbot.connector.derivative.grvt_perpetual"

setup(
    name="hummingbot-grvt",
    version="0.1.0",
    description="GRVT perpetual connector, strategies and a local GRVT sandbox exchange for Hummingbot",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache 2.0",
    python_requires=">=3.10",
    packages=[CONNECTOR_PACKAGE] + find_packages(include=["grvt_sandbox", "grvt_sandbox.*"]),
    package_dir={CONNECTOR_PACKAGE: "hummingbot/connector/derivative/grvt_perpetual"},
    install_requires=[
        "hummingbot==20260922",
        "coincurve==20.0.0",
        "safe-pysha3==1.0.7",
        "eth-account>=0.13.0",
        "bidict>=0.22.1",
        "aiohttp>=3.8.5,<3.14",
        "msgspec==0.23.0",
    ],
    extras_require={
        "test": [
            "pytest>=7.4",
            "pytest-asyncio>=0.23",
            "aioresponses>=0.7.4",
            "grvt-pysdk==0.1.18",
        ],
    },
    entry_points={"console_scripts": ["grvt-sandbox=grvt_sandbox.__main__:main"]},
)
