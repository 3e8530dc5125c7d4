import unittest
from decimal import Decimal

from pydantic import SecretStr, ValidationError

from hummingbot.client.config.config_helpers import ClientConfigAdapter
from hummingbot.client.settings import AllConnectorSettings, ConnectorType
from hummingbot.connector.derivative.grvt_perpetual import grvt_perpetual_utils as utils
from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_utils import (
    GrvtPerpetualConfigMap,
    GrvtPerpetualTestnetConfigMap,
)

PRIVATE_KEY = "c0663ca94684aead40c41a1cb3a94b68a24296e87245be3a186e882a29a15ee0"  # noqa: mock
MAINNET_FIELDS = ("grvt_perpetual_api_key", "grvt_perpetual_private_key", "grvt_perpetual_trading_account_id")
TESTNET_FIELDS = tuple(field.replace("grvt_perpetual", "grvt_perpetual_testnet") for field in MAINNET_FIELDS)


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

    def test_credential_problems(self):
        self.assertEqual([], utils.credential_problems("key", PRIVATE_KEY, "8289849667772468"))
        self.assertEqual([], utils.credential_problems("key", "0x" + PRIVATE_KEY, " 18446744073709551615 "))
        problems = utils.credential_problems("", "zz" * 32, "18446744073709551616")
        self.assertEqual(3, len(problems))
        for problem in problems:
            self.assertNotIn("zz" * 32, problem)
        self.assertEqual(3, len(utils.credential_problems(None, None, None)))
        self.assertEqual(1, len(utils.credential_problems("key", PRIVATE_KEY, "0x1234")))
        self.assertEqual(1, len(utils.credential_problems("key", PRIVATE_KEY[:-2], "1")))

    def test_is_exchange_information_valid(self):
        self.assertTrue(utils.is_exchange_information_valid({"instrument": "BTC_USDT_Perp", "kind": "PERPETUAL"}))
        self.assertTrue(utils.is_exchange_information_valid({"kind": "PERPETUAL", "is_active": True}))
        self.assertFalse(utils.is_exchange_information_valid({"kind": "PERPETUAL", "is_active": False}))
        self.assertFalse(utils.is_exchange_information_valid({"kind": "FUTURE"}))
        self.assertFalse(utils.is_exchange_information_valid(["PERPETUAL"]))


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
