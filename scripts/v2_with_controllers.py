"""The name Hummingbot's dashboard and API give the script that runs controllers (their deployments write script
configs with ``script_file_name: v2_with_controllers.py``): here it is ``grvt_v2_controllers.py``, so a deployment
runs with this repository's scripts/ folder as well."""
from scripts.grvt_v2_controllers import GrvtV2Controllers, GrvtV2ControllersConfig  # noqa: F401
