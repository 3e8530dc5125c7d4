import unittest

from hummingbot.connector.derivative.grvt_perpetual.grvt_perpetual_book_sequencer import (
    NO_PREVIOUS_SEQUENCE,
    UPDATE_ID_EPOCH_SHIFT,
    BookSequenceVerdict as V,
    GrvtPerpetualBookSequencer,
)

KEY = "BTC_USDT_Perp"
OTHER_KEY = "ETH_USDT_Perp"
EPOCH = 1 << UPDATE_ID_EPOCH_SHIFT


class GrvtPerpetualBookSequencerTests(unittest.TestCase):

    def setUp(self):
        self.sequencer = GrvtPerpetualBookSequencer()

    def _synced(self, first_delta: int = 100, deltas: int = 3) -> GrvtPerpetualBookSequencer:
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))
        for sequence_number in range(first_delta, first_delta + deltas):
            self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, sequence_number, sequence_number - 1))
        return self.sequencer

    def test_snapshot_numbered_zero_starts_first_epoch(self):
        self.assertEqual(0, self.sequencer.last_update_id)

        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))

        self.assertEqual(EPOCH, self.sequencer.last_update_id)
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 1))

    def test_first_payload_of_a_fresh_subscription_is_the_snapshot_whatever_its_number(self):
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 5000, 4999))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 5001, 5000))
        self.assertEqual(EPOCH + 1, self.sequencer.last_update_id)

    def test_first_delta_after_snapshot_anchors_then_steps_of_one(self):
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 1061214, 1061213))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 1061215, 1061214))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 1061216))

        self.assertEqual(EPOCH + 3, self.sequencer.last_update_id)

    def test_repeated_last_number_is_a_duplicate(self):
        self._synced()

        self.assertEqual(V.DUPLICATE, self.sequencer.on_message(KEY, 102, 101))

        self.assertEqual(EPOCH + 3, self.sequencer.last_update_id)
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 103, 102))

    def test_older_number_already_seen_is_a_duplicate(self):
        self._synced(first_delta=100, deltas=5)

        self.assertEqual(V.DUPLICATE, self.sequencer.on_message(KEY, 100, 99))
        self.assertEqual(V.DUPLICATE, self.sequencer.on_message(KEY, 102, 101))

    def test_jump_is_a_gap_and_deltas_are_dropped_until_a_snapshot(self):
        self._synced(first_delta=100, deltas=3)

        self.assertEqual(V.GAP, self.sequencer.on_message(KEY, 104, 103))

        self.assertEqual(V.STALE, self.sequencer.on_message(KEY, 105, 104))
        self.assertEqual(V.STALE, self.sequencer.on_message(KEY, 103, 102))

    def test_after_a_gap_only_a_payload_numbered_zero_is_a_snapshot(self):
        self._synced(first_delta=100, deltas=3)
        self.sequencer.on_message(KEY, 110)
        update_id_before = self.sequencer.last_update_id

        self.assertEqual(V.STALE, self.sequencer.on_message(KEY, 111))
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 500))

        self.assertEqual(2 * EPOCH + 1, self.sequencer.last_update_id)
        self.assertGreater(self.sequencer.last_update_id, update_id_before)

    def test_decrease_below_the_first_number_seen_is_a_gap(self):
        self._synced(first_delta=100, deltas=3)

        self.assertEqual(V.GAP, self.sequencer.on_message(KEY, 7, 6))

        self.assertEqual(V.STALE, self.sequencer.on_message(KEY, 104, 103))

    def test_previous_number_mismatch_is_a_gap(self):
        self._synced(first_delta=100, deltas=3)

        self.assertEqual(V.GAP, self.sequencer.on_message(KEY, 103, 101))

    def test_previous_number_zero_or_absent_is_not_checked(self):
        self._synced(first_delta=100, deltas=1)

        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 101, 0))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 102, NO_PREVIOUS_SEQUENCE))

    def test_reset_makes_the_next_payload_a_snapshot_with_a_larger_update_id(self):
        self._synced(first_delta=100, deltas=3)
        update_id_before = self.sequencer.last_update_id

        self.sequencer.reset(KEY)

        # a new gateway restarts its numbering: lower than before, still a snapshot, not a decrease
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 3, 2))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 4, 3))
        self.assertGreater(self.sequencer.last_update_id, update_id_before)

    def test_reset_of_an_unknown_key_does_nothing(self):
        self.sequencer.reset(KEY)

        self.assertEqual(0, self.sequencer.last_update_id)
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 9))

    def test_request_resync_drops_deltas_until_snapshot_numbered_zero(self):
        self._synced(first_delta=100, deltas=3)

        self.sequencer.request_resync(KEY)

        self.assertEqual(V.STALE, self.sequencer.on_message(KEY, 103, 102))
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0))
        self.assertEqual(2 * EPOCH, self.sequencer.last_update_id)

    def test_request_resync_of_an_unknown_key_waits_for_snapshot_numbered_zero(self):
        self.sequencer.request_resync(KEY)

        self.assertEqual(V.STALE, self.sequencer.on_message(KEY, 40))
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0))

    def test_external_snapshot_starts_a_new_epoch_and_next_delta_anchors(self):
        self._synced(first_delta=100, deltas=3)
        self.sequencer.on_message(KEY, 200)

        update_id = self.sequencer.apply_external_snapshot(KEY)

        self.assertEqual(2 * EPOCH, update_id)
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 205))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 206))
        self.assertEqual(2 * EPOCH + 2, self.sequencer.last_update_id)

    def test_external_snapshot_for_an_unknown_key(self):
        self.assertEqual(EPOCH, self.sequencer.apply_external_snapshot(KEY))

    def test_keys_are_independent(self):
        self._synced(first_delta=100, deltas=3)
        self.sequencer.on_message(OTHER_KEY, 0)
        self.sequencer.on_message(OTHER_KEY, 10)

        self.assertEqual(V.GAP, self.sequencer.on_message(OTHER_KEY, 12))

        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 103))

    def test_snapshot_numbered_zero_mid_stream_replaces_the_book(self):
        self._synced(first_delta=100, deltas=3)

        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 103))

        self.assertEqual(2 * EPOCH + 1, self.sequencer.last_update_id)

    def test_update_ids_only_grow_across_gaps_resets_and_resyncs(self):
        issued = []
        events = [("s", 0), ("d", 10), ("d", 11), ("d", 13), ("s", 0), ("d", 2), ("reset", None), ("d", 1),
                  ("d", 2), ("resync", None), ("d", 3), ("s", 0), ("d", 9), ("ext", None), ("d", 50)]
        for kind, number in events:
            if kind == "reset":
                self.sequencer.reset(KEY)
            elif kind == "resync":
                self.sequencer.request_resync(KEY)
            elif kind == "ext":
                issued.append(self.sequencer.apply_external_snapshot(KEY))
            elif self.sequencer.on_message(KEY, number) in (V.SNAPSHOT, V.DELTA):
                issued.append(self.sequencer.last_update_id)

        self.assertEqual(sorted(set(issued)), issued)
        self.assertEqual(11, len(issued))

    def test_snapshot_update_id_is_the_base_of_the_current_epoch(self):
        self.assertEqual(0, self.sequencer.snapshot_update_id(KEY))
        self._synced(first_delta=100, deltas=3)

        self.assertEqual(EPOCH, self.sequencer.snapshot_update_id(KEY))
        self.assertEqual(EPOCH + 3, self.sequencer.last_update_id)

    def test_last_update_id_follows_the_last_accepted_payload_of_any_key(self):
        self.assertEqual(0, self.sequencer.last_update_id)
        self.sequencer.on_message(KEY, 0, 0)
        self.assertEqual(EPOCH, self.sequencer.last_update_id)
        self.sequencer.on_message(OTHER_KEY, 0, 0)
        self.sequencer.on_message(OTHER_KEY, 5, 4)
        self.assertEqual(EPOCH + 1, self.sequencer.last_update_id)
        self.sequencer.on_message(KEY, 7, 6)
        self.sequencer.on_message(KEY, 7, 6)  # duplicate: not accepted
        self.assertEqual(EPOCH + 1, self.sequencer.last_update_id)
        self.assertEqual(2 * EPOCH, self.sequencer.apply_external_snapshot(KEY))
        self.assertEqual(2 * EPOCH, self.sequencer.last_update_id)


class GrvtPerpetualBookSequencerAnnouncedFirstDeltaTests(unittest.TestCase):
    """The subscribe answer's first_sequence_number makes a loss right after the snapshot detectable."""

    def setUp(self):
        self.sequencer = GrvtPerpetualBookSequencer()

    def test_first_delta_missing_after_an_announced_snapshot_is_a_gap(self):
        self.sequencer.announce_snapshot(KEY, 1, 41)
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))

        self.assertEqual(V.GAP, self.sequencer.on_message(KEY, 42, 41))
        self.assertEqual(V.STALE, self.sequencer.on_message(KEY, 43, 42))

    def test_announced_first_delta_anchors_the_chain(self):
        self.sequencer.announce_snapshot(KEY, 1, 41)
        self.sequencer.on_message(KEY, 0, 0)

        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 41, 40))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 42, 41))

    def test_delta_older_than_the_announced_first_is_ignored(self):
        self.sequencer.announce_snapshot(KEY, 1, 41)
        self.sequencer.on_message(KEY, 0, 0)

        self.assertEqual(V.DUPLICATE, self.sequencer.on_message(KEY, 40, 39))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 41, 40))

    def test_announcement_after_the_snapshot_applies_until_a_delta_is_accepted(self):
        self.sequencer.on_message(KEY, 0, 0)
        self.sequencer.announce_snapshot(KEY, 1, 10)
        self.assertEqual(V.GAP, self.sequencer.on_message(KEY, 11, 10))

        other = GrvtPerpetualBookSequencer()
        other.on_message(KEY, 0, 0)
        other.on_message(KEY, 10, 9)
        other.announce_snapshot(KEY, 1, 500)  # too late to matter: the chain is anchored
        self.assertEqual(V.DELTA, other.on_message(KEY, 11, 10))

    def test_announcement_is_used_once_and_not_for_a_rest_snapshot(self):
        self.sequencer.announce_snapshot(KEY, 1, 41)
        self.sequencer.apply_external_snapshot(KEY)
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 77, 76))

        self.sequencer.announce_snapshot(KEY, 1, 0)  # no information: ignored
        self.sequencer.request_resync(KEY)
        self.sequencer.on_message(KEY, 0, 0)
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 3, 2))


class GrvtPerpetualBookSequencerSnapshotPartsTests(unittest.TestCase):
    """A subscribe answer's num_snapshots above 1: the snapshot comes as several payloads numbered 0."""

    def setUp(self):
        self.sequencer = GrvtPerpetualBookSequencer()

    def test_announced_parts_after_the_first_are_applied_on_top(self):
        self.sequencer.announce_snapshot(KEY, 3, 0)
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 0, 0))
        self.assertEqual(EPOCH + 1, self.sequencer.last_update_id)
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 0, 0))
        self.assertEqual(V.DELTA, self.sequencer.on_message(KEY, 7, 6))
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))  # parts used up: a new snapshot
        self.assertEqual(2 * EPOCH, self.sequencer.last_update_id)

    def test_one_announced_snapshot_or_none_keeps_every_0_a_snapshot(self):
        self.sequencer.announce_snapshot(KEY, 1, 0)
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))

    def test_parts_are_not_carried_over_a_resync_or_a_rest_snapshot(self):
        self.sequencer.announce_snapshot(KEY, 2, 0)
        self.sequencer.on_message(KEY, 0, 0)
        self.sequencer.request_resync(KEY)
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))

        self.sequencer.request_resync(KEY)
        self.sequencer.announce_snapshot(KEY, 2, 0)
        self.sequencer.apply_external_snapshot(KEY)
        self.assertEqual(V.SNAPSHOT, self.sequencer.on_message(KEY, 0, 0))
