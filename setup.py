"""Distribution `hummingbot-grvt`: the GRVT perpetual connector for an installed Hummingbot, the GRVT sandbox and
the operator tools (reports).

Installed next to Hummingbot (`pip install .`), it leaves Hummingbot's files as they are: the connector goes to
`hummingbot_grvt/grvt_perpetual/` and a start-up hook (`hummingbot_grvt.pth`) makes Hummingbot load it in place of
the copy Hummingbot ships (see hummingbot_grvt/__init__.py). Uninstalling removes both and Hummingbot's own
connector is used again. For development, use `make install` instead (see README.md).
"""
import os

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

START_UP_HOOK = "hummingbot_grvt.pth"


class BuildPyWithStartUpHook(build_py):
    """Puts the .pth start-up hook at the top of the built tree, i.e. directly in site-packages once installed."""

    def run(self):
        super().run()
        self.copy_file(os.path.join("hummingbot_grvt", START_UP_HOOK), os.path.join(self.build_lib, START_UP_HOOK))


setup(
    name="hummingbot-grvt",
    version="0.2.0",
    description="GRVT perpetual connector, a local GRVT sandbox exchange and run reports for Hummingbot",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache 2.0",
    python_requires=">=3.11",
    packages=["hummingbot_grvt", "hummingbot_grvt.grvt_perpetual", "grvt_tools", "grvt_tools.grvt_common"]
    + find_packages(include=["grvt_sandbox", "grvt_sandbox.*"]),
    # The reports' PnL accounting is the controllers' (controllers/ is not installed): it ships inside grvt_tools.
    package_dir={"hummingbot_grvt.grvt_perpetual": "hummingbot/connector/derivative/grvt_perpetual",
                 "grvt_tools.grvt_common": "controllers/grvt_common"},
    cmdclass={"build_py": BuildPyWithStartUpHook},
    install_requires=[
        "hummingbot==20260922",
        "coincurve==20.0.0",
        "safe-pysha3==1.0.7",
        "eth-account>=0.13.0",
        "bidict>=0.22.1",
        "aiohttp>=3.8.5,<3.14",
        "msgspec==0.23.0",
        "rich==15.0.0",
        "matplotlib==3.11.2",
    ],
    extras_require={
        "test": [
            "pytest>=7.4",
            "pytest-asyncio>=0.23",
            "aioresponses>=0.7.4",
            "grvt-pysdk==0.1.18",
        ],
    },
    entry_points={"console_scripts": ["grvt-sandbox=grvt_sandbox.__main__:main",
                                      "grvt-report=grvt_tools.report:main"]},
)
