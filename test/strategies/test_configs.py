"""The example configs in conf/ load as what they claim to be, and Hummingbot can write our controller configs."""
import importlib
from pathlib import Path

import pytest
import yaml

from controllers.generic.grvt_grid import GrvtGridConfig
from controllers.market_making.grvt_market_maker import GrvtMarketMakerConfig
from hummingbot.client.config.config_helpers import ClientConfigAdapter
from hummingbot.strategy.strategy_v2_base import StrategyV2Base

REPO = Path(__file__).resolve().parents[2]
CONFIG_CLASSES = {"grvt_market_maker": GrvtMarketMakerConfig, "grvt_grid": GrvtGridConfig}


@pytest.mark.parametrize("path", sorted((REPO / "conf" / "controllers").glob("grvt_*.yml")), ids=lambda p: p.name)
def test_example_controller_configs_are_valid(path):
    data = yaml.safe_load(path.read_text())
    config = CONFIG_CLASSES[data["controller_name"]](**data)
    module = importlib.import_module(f"controllers.{config.controller_type}.{config.controller_name}")
    assert config.__class__.__module__ == module.__name__
    assert config.id == path.stem


@pytest.mark.parametrize("path", sorted((REPO / "conf" / "scripts").glob("grvt_*.yml")), ids=lambda p: p.name)
def test_example_script_configs_run_existing_controller_configs(path):
    data = yaml.safe_load(path.read_text())
    assert (REPO / "scripts" / data["script_file_name"]).is_file()
    for controller_file in data["controllers_config"]:
        assert (REPO / "conf" / "controllers" / controller_file).is_file()


@pytest.mark.parametrize("config_class", list(CONFIG_CLASSES.values()), ids=lambda c: c.__name__)
def test_hummingbot_writes_a_new_controller_config_that_loads_back(config_class):
    """What `create --controller-config` does: a config from defaults, written by Hummingbot's config adapter."""
    config = config_class.model_construct()
    config.id = config.set_id(None)
    written = ClientConfigAdapter(config).generate_yml_output_str_with_comments()
    loaded = config_class(**yaml.safe_load(written))
    assert loaded.position_mode.name == "ONEWAY" and loaded.id == config.id


def test_the_dashboard_script_name_runs_the_same_strategy():
    for name in ("grvt_v2_controllers", "v2_with_controllers"):
        module = importlib.import_module(f"scripts.{name}")
        strategies = [member for member in vars(module).values() if isinstance(member, type)
                      and issubclass(member, StrategyV2Base) and member is not StrategyV2Base]
        assert [strategy.__name__ for strategy in strategies] == ["GrvtV2Controllers"]


def test_hummingbot_writes_a_new_script_config_that_loads_back():
    """What `create --v2-config grvt_v2_controllers` does."""
    from scripts.grvt_v2_controllers import GrvtV2ControllersConfig

    config = GrvtV2ControllersConfig.model_construct()
    config.controllers_config = ["grvt_market_maker_pmm.yml"]
    written = ClientConfigAdapter(config).generate_yml_output_str_with_comments()
    loaded = GrvtV2ControllersConfig(**yaml.safe_load(written))
    assert loaded.script_file_name == "grvt_v2_controllers.py"
    assert loaded.controllers_config == ["grvt_market_maker_pmm.yml"]
    assert loaded.markets == {} and loaded.candles_config == [] and loaded.max_global_drawdown_quote is None


@pytest.mark.parametrize("module_name", ["market_making.grvt_market_maker", "generic.grvt_grid"])
def test_hummingbot_finds_exactly_one_config_class_and_one_controller_in_each_module(module_name):
    """Hummingbot takes the first class of the module that subclasses its config or controller base: the shared
    code must not bring a second one into the module."""
    from hummingbot.strategy_v2.controllers.controller_base import ControllerBase, ControllerConfigBase

    module = importlib.import_module(f"controllers.{module_name}")
    classes = [member for member in vars(module).values() if isinstance(member, type)]
    configs = [c for c in classes if issubclass(c, ControllerConfigBase) and c is not ControllerConfigBase]
    controllers = [c for c in classes if issubclass(c, ControllerBase) and c is not ControllerBase]
    assert len(configs) == 1 and len(controllers) == 1
    config = configs[0](id="x", start_price=1, end_price=2) if "grid" in module_name else configs[0](id="x")
    assert config.get_controller_class() is controllers[0]
