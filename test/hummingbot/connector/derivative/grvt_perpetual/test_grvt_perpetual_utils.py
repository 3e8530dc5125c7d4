import binascii
import tempfile
import unittest
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Tuple
from unittest.mock import MagicMock, patch

from pydantic import SecretStr, ValidationError

from hummingbot.client.command.create_command import CreateCommand
from hummingbot.client.config.config_crypt import BaseSecretsManager
from hummingbot.client.config.config_helpers import (
    ClientConfigAdapter,
    ConfigValidationError,
    api_keys_from_connector_config_map,
    load_connector_config_map_from_file,
    save_to_yml,
)
from hummingbot.client.config.security import Security
from hummingbot.client.settings import AllConnectorSettings, ConnectorType
from hummingbot.connector.derivative.grvt_perpetual import (
    grvt_perpetual_constants as CONSTANTS,
    grvt_perpetual_utils as utils,
)
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_derivative import GrvtPerpetualDerivative
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_utils import (
    GrvtPerpetualConfigMap,
    GrvtPerpetualTestnetConfigMap,
)

PRIVATE_KEY = "c0663ca94684aead40c41a1cb3a94b68a24296e87245be3a186e882a29a15ee0"  # noqa: mock
API_KEY = "my-api-key-123"
ACCOUNT_ID = "8289849667772468"
MAINNET_FIELDS = ("grvt_perpetual_api_key", "grvt_perpetual_private_key", "grvt_perpetual_trading_account_id")
TESTNET_FIELDS = tuple(field.replace("grvt_perpetual", "grvt_perpetual_testnet") for field in MAINNET_FIELDS)
OPTION_SUFFIXES = (
    "order_expiry_seconds", "cancel_on_disconnect_ms", "untracked_open_orders", "funding_paid_is_positive")
OPTION_DEFAULTS = dict(zip(OPTION_SUFFIXES, (None, 0, "report", True)))
DOMAINS = (("grvt_perpetual", GrvtPerpetualConfigMap), ("grvt_perpetual_testnet", GrvtPerpetualTestnetConfigMap))


def option_field(connector: str, suffix: str) -> str:
    return f"{connector}_{suffix}"


class ReversibleSecretsManager(BaseSecretsManager):
    """Stands in for Hummingbot's password-based secrets manager (that one takes seconds per value)."""

    def encrypt_secret_value(self, attr: str, value: str) -> str:
        return binascii.hexlify(f"sealed:{value}".encode()).decode()

    def decrypt_secret_value(self, attr: str, value: str) -> str:
        return binascii.unhexlify(value).decode().removeprefix("sealed:")


class PromptRecorder(CreateCommand):
    """The part of HummingbotApplication that `connect` uses to prompt a connector's config map."""

    def __init__(self, answers: Dict[str, str]):
        self.answers = answers
        self.prompts: List[Tuple[str, bool]] = []
        self.notices: List[str] = []
        self.app = MagicMock(to_stop_config=False)
        self.app.prompt = self._prompt

    async def _prompt(self, prompt: str, is_password: bool = False) -> str:
        self.prompts.append((prompt, is_password))
        return next(answer for fragment, answer in self.answers.items() if fragment in prompt)

    def notify(self, message: str):
        self.notices.append(message)


class GrvtPerpetualUtilsTests(unittest.TestCase):

    def test_discovery_constants(self):
        self.assertTrue(utils.CENTRALIZED)
        self.assertEqual("BTC-USDT", utils.EXAMPLE_PAIR)
        self.assertEqual(Decimal("0.00027"), utils.DEFAULT_FEES.maker_percent_fee_decimal)
        self.assertEqual(Decimal("0.00055"), utils.DEFAULT_FEES.taker_percent_fee_decimal)
        self.assertFalse(utils.DEFAULT_FEES.buy_percent_fee_deducted_from_returns)

    def test_other_domains_are_complete(self):
        self.assertEqual(["grvt_perpetual_testnet"], utils.OTHER_DOMAINS)
        for table in (utils.OTHER_DOMAINS_PARAMETER, utils.OTHER_DOMAINS_EXAMPLE_PAIR,
                      utils.OTHER_DOMAINS_DEFAULT_FEES, utils.OTHER_DOMAINS_KEYS):
            self.assertEqual(set(utils.OTHER_DOMAINS), set(table))
        self.assertEqual("grvt_perpetual_testnet", utils.OTHER_DOMAINS_PARAMETER["grvt_perpetual_testnet"])
        self.assertIsInstance(utils.OTHER_DOMAINS_KEYS["grvt_perpetual_testnet"], GrvtPerpetualTestnetConfigMap)

    def test_key_fields_are_secret_connect_keys_with_prompts(self):
        for config_class, fields, connector in ((GrvtPerpetualConfigMap, MAINNET_FIELDS, "grvt_perpetual"),
                                                (GrvtPerpetualTestnetConfigMap, TESTNET_FIELDS,
                                                 "grvt_perpetual_testnet")):
            self.assertEqual(connector, config_class.model_construct().connector)
            self.assertEqual(connector, config_class.model_config["title"])
            for field in fields:
                info = config_class.model_fields[field]
                self.assertIs(SecretStr, info.annotation)
                extra = info.json_schema_extra
                self.assertTrue(extra["is_secure"])
                self.assertTrue(extra["is_connect_key"])
                self.assertTrue(extra["prompt_on_new"])
                self.assertIn("GRVT", extra["prompt"])
        self.assertIsInstance(utils.KEYS, GrvtPerpetualConfigMap)

    def test_config_map_keeps_secrets_out_of_repr_and_errors(self):
        config = GrvtPerpetualConfigMap(grvt_perpetual_api_key="my-api-key-123",
                                        grvt_perpetual_private_key=PRIVATE_KEY,
                                        grvt_perpetual_trading_account_id="8289849667772468")
        self.assertEqual(PRIVATE_KEY, config.grvt_perpetual_private_key.get_secret_value())
        for text in (repr(config), str(config)):
            self.assertNotIn(PRIVATE_KEY, text)
            self.assertNotIn("my-api-key-123", text)
        with self.assertRaises(ValidationError) as context:
            GrvtPerpetualConfigMap(grvt_perpetual_api_key="my-api-key-123",
                                   grvt_perpetual_private_key=["secret-in-a-list"],
                                   grvt_perpetual_trading_account_id="1")
        self.assertIn("grvt_perpetual_private_key", str(context.exception))
        self.assertNotIn("secret-in-a-list", str(context.exception))

    def test_config_map_accepts_stored_encrypted_values(self):
        # Hummingbot validates the encrypted (hex JSON) values before decrypting them: no format checks here.
        encrypted = "7b2263727970746f223a207b22636970686572223a2022616573"
        config = GrvtPerpetualTestnetConfigMap.model_validate({
            "connector": "grvt_perpetual_testnet", "grvt_perpetual_testnet_api_key": encrypted,
            "grvt_perpetual_testnet_private_key": encrypted, "grvt_perpetual_testnet_trading_account_id": encrypted})
        self.assertEqual(encrypted, config.grvt_perpetual_testnet_trading_account_id.get_secret_value())

    def test_config_adapter_lists_the_secure_keys(self):
        adapter = ClientConfigAdapter(GrvtPerpetualConfigMap.model_construct())
        secure = [item.attr for item in adapter.traverse()
                  if item.client_field_data is not None and item.client_field_data.is_secure]
        self.assertEqual(list(MAINNET_FIELDS), secure)


class GrvtPerpetualDiscoveryTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.settings = AllConnectorSettings.create_connector_settings()

    def test_hummingbot_discovers_both_domains(self):
        mainnet = self.settings["grvt_perpetual"]
        testnet = self.settings["grvt_perpetual_testnet"]
        for setting in (mainnet, testnet):
            self.assertEqual(ConnectorType.Derivative, setting.type)
            self.assertTrue(setting.centralised)
            self.assertEqual("BTC-USDT", setting.example_pair)
            self.assertEqual("grvt_perpetual_derivative", setting.module_name())
            self.assertEqual("GrvtPerpetualDerivative", setting.class_name())
        self.assertFalse(mainnet.is_sub_domain)
        self.assertTrue(testnet.is_sub_domain)
        self.assertEqual("grvt_perpetual", testnet.parent_name)

    def test_testnet_keys_become_constructor_arguments(self):
        api_keys = {field: f"value-{index}" for index, field in enumerate(TESTNET_FIELDS)}
        params = self.settings["grvt_perpetual_testnet"].conn_init_parameters(
            trading_pairs=["BTC-USDT"], trading_required=True, api_keys=api_keys)
        for index, field in enumerate(MAINNET_FIELDS):
            self.assertEqual(f"value-{index}", params[field])
        self.assertEqual("grvt_perpetual_testnet", params["domain"])
        self.assertEqual(["BTC-USDT"], params["trading_pairs"])


class GrvtPerpetualOptionsTests(unittest.IsolatedAsyncioTestCase):
    """
    The connector options are non-secret, never prompted connect keys that reach the constructor. Async tests:
    building the connector needs a current event loop.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.settings = AllConnectorSettings.create_connector_settings()

    def setUp(self):
        super().setUp()
        secrets_patch = patch.object(Security, "secrets_manager", ReversibleSecretsManager("password"))
        secrets_patch.start()
        self.addCleanup(secrets_patch.stop)
        temporary_directory = tempfile.TemporaryDirectory()
        self.addCleanup(temporary_directory.cleanup)
        self.directory = Path(temporary_directory.name)

    def build_connector(self, connector: str, api_keys: Dict[str, Any]) -> GrvtPerpetualDerivative:
        params = self.settings[connector].conn_init_parameters(
            trading_pairs=["BTC-USDT"], trading_required=False, api_keys=api_keys)
        return GrvtPerpetualDerivative(**params)

    def assert_connector_options(self, exchange: GrvtPerpetualDerivative, expiry: float, countdown_ms: int,
                                 untracked: str, funding_sign: Decimal):
        self.assertEqual(expiry, exchange.order_factory.expiry_seconds)
        if countdown_ms:
            self.assertEqual(countdown_ms, exchange._heartbeat.countdown_ms)
        else:
            self.assertIsNone(exchange._heartbeat)
        self.assertEqual(untracked == utils.UNTRACKED_ORDERS_CANCEL, exchange._cancel_untracked)
        self.assertEqual(funding_sign, exchange._funding.sign)

    def write_yml(self, connector: str, text: str) -> Path:
        path = self.directory / f"{connector}.yml"
        path.write_text(text, encoding="utf-8")
        return path

    def test_options_are_non_secret_connect_keys_that_are_never_prompted(self):
        for connector, config_class in DOMAINS:
            adapter = ClientConfigAdapter(config_class.model_construct())
            for suffix in OPTION_SUFFIXES:
                with self.subTest(connector=connector, option=suffix):
                    field = option_field(connector, suffix)
                    info = config_class.model_fields[field]
                    self.assertEqual(OPTION_DEFAULTS[suffix], info.default)
                    self.assertEqual(OPTION_DEFAULTS[suffix], getattr(adapter, field))
                    self.assertTrue(info.description)
                    data = adapter.get_client_data(field)
                    self.assertFalse(data.is_secure)
                    self.assertTrue(data.is_connect_key)
                    self.assertFalse(data.prompt_on_new)
                    self.assertFalse(adapter.is_required(field))

    async def test_connect_prompts_only_the_three_secrets(self):
        for connector, config_class in DOMAINS:
            with self.subTest(connector=connector):
                adapter = ClientConfigAdapter(config_class.model_construct())
                recorder = PromptRecorder({"API key >>>": API_KEY, "private key": PRIVATE_KEY,
                                           "trading account id": ACCOUNT_ID})
                await recorder.prompt_for_model_config(adapter)

                self.assertEqual(3, len(recorder.prompts), recorder.prompts)
                self.assertTrue(all(is_password for _, is_password in recorder.prompts))
                self.assertEqual([], recorder.notices)
                keys = api_keys_from_connector_config_map(adapter)
                self.assertEqual(PRIVATE_KEY, keys[f"{connector}_private_key"])
                for suffix in OPTION_SUFFIXES:
                    self.assertEqual(OPTION_DEFAULTS[suffix], getattr(adapter, option_field(connector, suffix)))

    async def test_a_stored_file_without_the_options_loads_with_defaults(self):
        sealed = Security.secrets_manager.encrypt_secret_value
        for connector, _ in DOMAINS:
            with self.subTest(connector=connector):
                # the layout Hummingbot wrote before the options existed: title, connector, three sealed secrets
                path = self.write_yml(connector, (
                    f"#################################\n###   {connector} config   ###\n"
                    f"#################################\n\nconnector: {connector}\n\n"
                    f"{connector}_api_key: {sealed('k', API_KEY)}\n\n"
                    f"{connector}_private_key: {sealed('p', PRIVATE_KEY)}\n\n"
                    f"{connector}_trading_account_id: {sealed('a', ACCOUNT_ID)}\n"))

                config_map = load_connector_config_map_from_file(path)

                keys = api_keys_from_connector_config_map(config_map)
                self.assertEqual(API_KEY, keys[f"{connector}_api_key"])
                self.assertNotIn(option_field(connector, "order_expiry_seconds"), keys)  # None: the default applies
                self.assertEqual(0, keys[option_field(connector, "cancel_on_disconnect_ms")])
                self.assertEqual("report", keys[option_field(connector, "untracked_open_orders")])
                self.assertIs(True, keys[option_field(connector, "funding_paid_is_positive")])
                exchange = self.build_connector(connector, keys)
                self.assert_connector_options(exchange, CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS, 0, "report",
                                              Decimal(-1))
                self.assertEqual(connector, exchange.name)

    async def test_options_are_saved_in_plain_text_and_flow_from_the_file_to_the_connector(self):
        for connector, config_class in DOMAINS:
            with self.subTest(connector=connector):
                adapter = ClientConfigAdapter(config_class.model_construct())
                for field, value in zip(MAINNET_FIELDS, (API_KEY, PRIVATE_KEY, ACCOUNT_ID)):
                    setattr(adapter, field.replace("grvt_perpetual", connector), value)
                path = self.directory / f"{connector}.yml"
                save_to_yml(path, adapter)
                text = path.read_text(encoding="utf-8")
                self.assertNotIn(PRIVATE_KEY, text)
                self.assertIn(f"{option_field(connector, 'untracked_open_orders')}: report", text)
                self.assertIn("# GRVT cancel-on-disconnect countdown in ms", text)

                text = (text.replace(f"{option_field(connector, 'order_expiry_seconds')}: null",
                                     f"{option_field(connector, 'order_expiry_seconds')}: 86400")
                        .replace(f"{option_field(connector, 'cancel_on_disconnect_ms')}: 0",
                                 f"{option_field(connector, 'cancel_on_disconnect_ms')}: 15000")
                        .replace(f"{option_field(connector, 'untracked_open_orders')}: report",
                                 f"{option_field(connector, 'untracked_open_orders')}: cancel")
                        .replace(f"{option_field(connector, 'funding_paid_is_positive')}: true",
                                 f"{option_field(connector, 'funding_paid_is_positive')}: false"))
                config_map = load_connector_config_map_from_file(self.write_yml(connector, text))

                exchange = self.build_connector(connector, api_keys_from_connector_config_map(config_map))
                self.assert_connector_options(exchange, 86400, 15_000, "cancel", Decimal(1))
                self.assertEqual(ACCOUNT_ID, exchange._trading_account_id)

    async def test_invalid_option_values_get_clear_errors(self):
        cases = (
            ("order_expiry_seconds", 5, "between 10 seconds and 30 days"),
            ("order_expiry_seconds", 31 * 24 * 3600, "between 10 seconds and 30 days"),
            ("order_expiry_seconds", "soon", "must be a number of seconds"),
            ("cancel_on_disconnect_ms", 500, "0 (off) or between 3000 and 300000 ms"),
            ("cancel_on_disconnect_ms", 300_001, "0 (off) or between 3000 and 300000 ms"),
            ("cancel_on_disconnect_ms", "1500.5", "whole number of milliseconds"),
            ("untracked_open_orders", "ignore", "must be 'report' or 'cancel'"),
            ("funding_paid_is_positive", "maybe", "must be true or false"),
        )
        for connector, config_class in DOMAINS:
            for suffix, value, message in cases:
                with self.subTest(connector=connector, option=suffix, value=value):
                    adapter = ClientConfigAdapter(config_class.model_construct())
                    with self.assertRaises(ConfigValidationError) as context:
                        setattr(adapter, option_field(connector, suffix), value)
                    self.assertIn(message, str(context.exception))
                    self.assertEqual(OPTION_DEFAULTS[suffix], getattr(adapter, option_field(connector, suffix)))
                    with self.assertRaises(ValueError) as context:
                        GrvtPerpetualDerivative(trading_required=False, **{f"grvt_perpetual_{suffix}": value})
                    self.assertIn(message, str(context.exception))

    def test_valid_option_values_are_normalised(self):
        cases = (
            ("order_expiry_seconds", "10", 10.0), ("order_expiry_seconds", 2_592_000, 2_592_000.0),
            ("order_expiry_seconds", "", None), ("cancel_on_disconnect_ms", "3000", 3000),
            ("cancel_on_disconnect_ms", 300_000, 300_000), ("cancel_on_disconnect_ms", "", 0),
            ("untracked_open_orders", " Cancel ", "cancel"), ("untracked_open_orders", "", "report"),
            ("funding_paid_is_positive", "no", False), ("funding_paid_is_positive", "Yes", True),
            ("funding_paid_is_positive", False, False), ("funding_paid_is_positive", "", True),
        )
        for suffix, value, expected in cases:
            with self.subTest(option=suffix, value=value):
                adapter = ClientConfigAdapter(GrvtPerpetualTestnetConfigMap.model_construct())
                setattr(adapter, option_field("grvt_perpetual_testnet", suffix), value)
                self.assertEqual(expected, getattr(adapter, option_field("grvt_perpetual_testnet", suffix)))

    async def test_non_trading_instances_are_built_with_empty_keys(self):
        for connector, config_class in DOMAINS:
            with self.subTest(connector=connector):
                exchange = self.settings[connector].non_trading_connector_instance_with_default_configuration()
                self.assertIsInstance(exchange, GrvtPerpetualDerivative)
                self.assertEqual(connector, exchange.name)
                self.assert_connector_options(exchange, CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS, 0, "report",
                                              Decimal(-1))

                # MarketDataProvider passes "" for every field of the config map
                empty = {field: "" for field in config_class.model_fields if field != "connector"}
                exchange = self.build_connector(connector, empty)
                self.assert_connector_options(exchange, CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS, 0, "report",
                                              Decimal(-1))
                self.assertFalse(exchange.is_trading_required)

    async def test_constructor_defaults_without_options(self):
        exchange = GrvtPerpetualDerivative(trading_required=False)
        self.assert_connector_options(exchange, CONSTANTS.DEFAULT_QUOTE_EXPIRY_SECONDS, 0, "report", Decimal(-1))
        self.assertIsNone(utils.order_expiry_seconds_option(None))
        with self.assertRaises(TypeError):
            GrvtPerpetualDerivative(trading_required=False, order_expiry_seconds=60)

    async def test_a_trading_account_id_that_is_not_a_uint64_is_refused_when_built(self):
        # GRVT would only refuse it at the first private call; `connect` builds the connector (not trading) to check
        bad = ("", " ", "abc", "0x1f", "12.5", "-1", str(2 ** 64), "١٢")
        for domain in (CONSTANTS.DEFAULT_DOMAIN, CONSTANTS.TESTNET_DOMAIN):
            for value, trading in [(value, True) for value in bad] + [(value, False) for value in bad[2:]]:
                with self.subTest(domain=domain, value=value, trading=trading):
                    with self.assertRaises(ValueError) as context:
                        GrvtPerpetualDerivative(grvt_perpetual_trading_account_id=value, trading_required=trading,
                                                domain=domain)
                    self.assertIn(f"{domain}_trading_account_id", str(context.exception))
                    if value.strip():
                        self.assertNotIn(value, str(context.exception))  # a secure field: never echoed
        exchange = GrvtPerpetualDerivative(grvt_perpetual_trading_account_id=f" {2 ** 64 - 1} ")
        self.assertEqual(str(2 ** 64 - 1), exchange.account._sub_account_id)
        GrvtPerpetualDerivative(grvt_perpetual_trading_account_id="", trading_required=False)
        GrvtPerpetualDerivative(grvt_perpetual_trading_account_id=None, trading_required=False)

    def test_order_entry_option(self):
        self.assertEqual("websocket", utils.order_entry_option(None))
        self.assertEqual("websocket", utils.order_entry_option(""))
        self.assertEqual("rest", utils.order_entry_option(" REST "))
        with self.assertRaises(ValueError):
            utils.order_entry_option("fax")
