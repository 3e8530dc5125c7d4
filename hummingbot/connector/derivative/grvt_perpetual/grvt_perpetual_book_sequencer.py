"""
Sequence-number bookkeeping for GRVT delta streams (``v1.book.d``); it judges numbers and never touches a book.

Update ids. Hummingbot's ``OrderBookTracker`` drops diffs below the book's snapshot id, so the ids handed to it must
only grow, across resubscriptions and reconnects too, while GRVT restarts its numbering on every subscription (and
per gateway). Each key gets ``epoch << UPDATE_ID_EPOCH_SHIFT`` per snapshot (``epoch`` counts its snapshots) and +1
per delta on top, so a new snapshot outranks everything issued before it and the tracker drops leftovers of older
epochs by itself. 2**40 deltas per epoch and 2**23 epochs fit in an int64.
"""
import enum
from collections import defaultdict
from dataclasses import dataclass
from typing import DefaultDict, Hashable

NO_PREVIOUS_SEQUENCE = -1  # pass when a payload has no prev_sequence_number (0 means the same)
UPDATE_ID_EPOCH_SHIFT = 40


class BookSequenceVerdict(enum.IntEnum):
    SNAPSHOT = 1  # replace the whole book with this payload
    DELTA = 2  # apply this payload on top of the book
    DUPLICATE = 3  # already applied: ignore
    STALE = 4  # arrived while waiting for a snapshot: ignore
    GAP = 5  # continuity broken (jump or decrease): drop it and resynchronise; deltas are dropped until a snapshot


@dataclass(slots=True)
class _BookStreamState:
    awaiting_snapshot: bool = True
    first_payload_is_snapshot: bool = True  # while awaiting: any first payload is the snapshot, not only a 0
    first_sequence: int = -1  # first delta number accepted since the last snapshot; -1: none yet
    last_sequence: int = -1  # last delta number accepted; -1: the next delta anchors the chain
    epoch: int = 0
    update_id: int = 0
    expected_first: int = -1  # number the first delta after the current snapshot must carry; -1: unknown
    announced_first: int = -1  # announced by a subscribe answer, for the snapshot still to come
    snapshot_parts: int = 0  # further payloads numbered 0 of the current snapshot still expected
    announced_parts: int = 0  # announced by a subscribe answer (num_snapshots - 1), for the snapshot still to come


class GrvtPerpetualBookSequencer:
    """
    Snapshot/delta state machine per key (one per subscribed book). A payload numbered 0 (GRVT's full book on subscribe)
    is always a snapshot; after ``reset`` (a fresh subscription) so is the first payload, whatever its number; after a
    gap or ``request_resync`` (a resubscription: old deltas may still be in flight) everything else is STALE until a 0.
    A subscribe answer may announce a snapshot of several payloads (``num_snapshots``): the ones numbered 0 after the
    first are parts of it, applied on top of it (DELTA) until its first delta. After a snapshot numbered 0 the next
    delta anchors the chain, then each must be last + 1 (and ``prev_sequence_number``, when given, last). Numbers seen
    since the snapshot are DUPLICATEs (network retries); numbers below the first one seen (the gateway restarted its
    numbering) are a GAP.
    """

    __slots__ = ("_states", "last_update_id")

    def __init__(self) -> None:
        self._states: DefaultDict[Hashable, _BookStreamState] = defaultdict(_BookStreamState)
        self.last_update_id = 0  # update id of the last payload accepted as a snapshot or a delta, any key

    def on_message(self, key: Hashable, sequence_number: int,
                   prev_sequence_number: int = NO_PREVIOUS_SEQUENCE) -> BookSequenceVerdict:
        state = self._states[key]
        if sequence_number == 0 and state.snapshot_parts and state.last_sequence < 0 and not state.awaiting_snapshot:
            state.snapshot_parts -= 1
            state.update_id = self.last_update_id = state.update_id + 1
            return BookSequenceVerdict.DELTA
        if sequence_number == 0 or (state.awaiting_snapshot and state.first_payload_is_snapshot):
            self._start_epoch(state, anchor=sequence_number or -1)
            return BookSequenceVerdict.SNAPSHOT
        if state.awaiting_snapshot:
            return BookSequenceVerdict.STALE
        last = state.last_sequence
        if last < 0:
            expected = state.expected_first
            if expected > 0 and sequence_number != expected:
                if sequence_number < expected:  # published before the snapshot was taken: already in it
                    return BookSequenceVerdict.DUPLICATE
                return self._gap(state)
            state.first_sequence = sequence_number
        elif sequence_number <= last:
            if sequence_number >= state.first_sequence:
                return BookSequenceVerdict.DUPLICATE
            return self._gap(state)
        elif sequence_number != last + 1 or (prev_sequence_number > 0 and prev_sequence_number != last):
            return self._gap(state)
        state.last_sequence = sequence_number
        state.update_id = self.last_update_id = state.update_id + 1
        return BookSequenceVerdict.DELTA

    def announce_snapshot(self, key: Hashable, num_snapshots: int, first_sequence_number: int) -> None:
        """A subscribe answer, about the coming snapshot (or the current one while it has no delta yet): it is made
        of ``num_snapshots`` payloads numbered 0, and the first delta after it must carry ``first_sequence_number``
        (when above 0), so that a delta lost right after it is a gap too."""
        state = self._states[key]
        parts = max(num_snapshots - 1, 0)
        first = first_sequence_number if first_sequence_number > 0 else -1
        if state.awaiting_snapshot:
            state.announced_parts = parts
            state.announced_first = first
        elif state.last_sequence < 0:
            state.snapshot_parts = parts
            state.expected_first = first

    def snapshot_update_id(self, key: Hashable) -> int:
        """Update id of the current epoch's snapshot for ``key`` (0 before any): no payload of the epoch is below."""
        return self._states[key].epoch << UPDATE_ID_EPOCH_SHIFT

    def reset(self, key: Hashable) -> None:
        state = self._states[key]
        state.awaiting_snapshot = state.first_payload_is_snapshot = True

    def request_resync(self, key: Hashable) -> None:
        self._gap(self._states[key])

    def apply_external_snapshot(self, key: Hashable) -> int:
        """A REST snapshot (the stream's did not come) starts a new epoch; having no sequence number, it lets the
        next delta anchor the chain. Returns its update id."""
        state = self._states[key]
        state.announced_first = -1  # the announcement was for the stream's snapshot, not this one
        state.announced_parts = 0
        self._start_epoch(state, anchor=-1)
        return state.update_id

    def _start_epoch(self, state: _BookStreamState, anchor: int) -> None:
        state.awaiting_snapshot = False
        state.first_sequence = state.last_sequence = anchor
        state.expected_first = state.announced_first if anchor < 0 else -1
        state.announced_first = -1
        state.snapshot_parts = state.announced_parts
        state.announced_parts = 0
        state.epoch += 1
        state.update_id = self.last_update_id = state.epoch << UPDATE_ID_EPOCH_SHIFT

    @staticmethod
    def _gap(state: _BookStreamState) -> BookSequenceVerdict:
        state.awaiting_snapshot = True
        state.first_payload_is_snapshot = False
        return BookSequenceVerdict.GAP
