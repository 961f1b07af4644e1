// Package protocol holds the Filecoin protocol as data: one row per network
// upgrade (codename, network version, activation epoch, actors and
// state-tree versions, price era, VM kind and every behaviour switch the
// protocol flipped), grouped into one table per network. It is a leaf:
// every package may read it and none restates an upgrade epoch. Supporting
// a new network version means adding a row (and, if it brings new actors,
// an actors version to package builtin and a price list to vm/gas).
//
// # Departures from Lotus v1.15.3
//
// The table follows the behaviour the network had, as Lotus v1.15.3 (the
// reference implementation of the pre-FVM VM) records it, with a few
// deliberate exceptions. Each exception is a behaviour of Lotus that the
// public test-vector corpus records but hints "incorrect" and "negate":
// the vector authors state what the correct behaviour is, and a conforming
// VM must not reproduce Lotus's. Every exception holds at all network
// versions and is recorded in the Rules field that carries it (look for
// "Departure from Lotus"). An exception is only taken when no real chain
// data in the corpus exercises it: replaying the whole public corpus, each
// rule fires in the negated vectors only, and every other vector still
// matches exactly. Rules that real actors would otherwise trip are narrowed
// to spare them (see PoliceAbortCodes), and the one the correct vectors
// contradict (resolving the receiver before version 4) is not taken.
// Where real chain data contradicts the vectors' notion of correct (the
// exit code of a parameter decoding failure before network version 7, see
// ParamsDecodeExit), the table stays network-exact.
package protocol

import (
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/filecoin-project/go-state-types/network"
)

// StateTreeVersion is the version of the state root object. Version 0 is a
// bare actors HAMT root; later versions wrap it in a versioned root.
type StateTreeVersion uint64

// ActorsVersion identifies a specs-actors release line (0 is v0.9).
type ActorsVersion int

// Rules are the facts and behaviour switches in force after one upgrade.
type Rules struct {
	Version          network.Version
	StateTreeVersion StateTreeVersion
	ActorsVersion    ActorsVersion

	// ResolveReceiver: the runtime's Receiver() is the receiver's ID address
	// (and implicit account creation rewrites it). Before, the receiver was
	// exposed exactly as the message addressed it.
	//
	// Network-exact, although the vectors
	// vm_violations/x--runtime_inspections--receiver-always-id-address hint
	// the earlier behaviour incorrect: the v0.9 payment channel actor checks
	// a voucher's channel address against Receiver(), and the correct vectors
	// paych/paych--update-ok and paych--collect-ok (network versions 0 to 3)
	// redeem vouchers naming the channel by its robust address.
	ResolveReceiver bool
	// ActorPanicExit is the exit code when actor code panics with something
	// other than an abort: the actor broke the VM's contract, so the call
	// fails as an illegal actor.
	//
	// Departure from Lotus: Lotus gave exit code 1 up to network version 3
	// and SysErrReserved1 after, which the vectors
	// vm_violations/x--actor_abort--no-exit-code mark incorrect (they only
	// require some failure; SysErrorIllegalActor is the protocol's code for
	// an actor that misbehaves, the one it gives every other violation).
	ActorPanicExit exitcode.ExitCode
	// PoliceAbortCodes: an actor may only abort with an actor error code
	// (FirstActorErrorCode and above) or re-raise a system exit code that one
	// of its own sends returned in the same invocation (the Go actors
	// propagate a failed send's code, e.g. builtin.RequireSuccess; mainnet
	// receipts record it, as in the extracted ProveCommitSector vectors that
	// re-raise SysErrOutOfGas), or raise one of the few system codes builtin
	// actors raise themselves (vm/actors lists them). Any other system code,
	// or a negative one, fails the call with SysErrorIllegalActor instead.
	//
	// Departure from Lotus: Lotus passed any code through;
	// vm_violations/x--actor_abort--system-exit-code-N and
	// --negative-exit-code mark that incorrect.
	PoliceAbortCodes bool
	// CheckStateMutation: a state object an actor obtained read-only, or
	// through a state transaction that has ended, must not be mutated:
	// at the end of a successful invocation each such object is encoded
	// again and compared with what the runtime handed out (or committed),
	// and a difference fails the call with SysErrorIllegalActor. No gas is
	// charged for the check.
	//
	// Departure from Lotus: Lotus silently dropped such mutations (lotus
	// issue 3545); vm_violations/x--state_mutation--readonly and
	// --after-transaction mark that incorrect.
	CheckStateMutation bool
	// ParamsDecodeExit is the exit code when a method's parameters fail to
	// decode. Network-exact: the vectors hint exit code 1 before version 7
	// incorrect, but mainnet messages recorded in the corpus (extracted
	// SubmitWindowedPoSt vectors at version 2) received exactly that code.
	ParamsDecodeExit exitcode.ExitCode
	// CallDepthLimit: sends nested deeper than MaxCallDepth abort.
	CallDepthLimit bool
	// ForbidSendInTransaction: a send made inside a state transaction aborts
	// the callee with SysErrForbidden (before, only the sending runtime's own
	// check applied).
	ForbidSendInTransaction bool
	// CheckCreateActorAddress: CreateActor rejects an undefined address.
	CheckCreateActorAddress bool
	// CheckDeleteBeneficiary: DeleteActor requires an existing beneficiary
	// other than the deleted actor when there is a balance to move.
	CheckDeleteBeneficiary bool
	// RejectSelfBeneficiary: DeleteActor with a balance to move aborts with
	// SysErrorIllegalArgument when the beneficiary is the deleted actor itself
	// (the balance would vanish with it).
	//
	// Departure from Lotus: Lotus checked this only from network version 7
	// (with CheckDeleteBeneficiary, lotus PR 3478);
	// actor_deletion/x--beneficiary--fail-delete-w-balance-and-self-beneficiary
	// marks the earlier behaviour incorrect. An unknown beneficiary before
	// version 7 stays network-exact (no vector states a correct outcome).
	RejectSelfBeneficiary bool
	// RejectZeroBLSAccount: no account may be created for the zero BLS key.
	RejectZeroBLSAccount bool
	// TransferChecksBalanceFirst: transfers check sign and balance before the
	// self-transfer short cut, so self-sends above the balance fail.
	TransferChecksBalanceFirst bool
	// WindowPoStBurnExemption: a successful top-level SubmitWindowedPoSt to
	// a miner burns no base fee (from the Claus upgrade until network
	// version 13).
	WindowPoStBurnExemption bool
	// CircSupplyPerVM: circulating supply is computed once per VM instead of
	// on every query.
	CircSupplyPerVM bool
	// FaultFinalityLimit: consensus-fault evidence whose blocks are older
	// than finality before the current epoch is refused.
	FaultFinalityLimit bool
	// ForwardTicketRandomness: chain randomness at a null round draws from
	// the tipset above it (before, from the one below).
	ForwardTicketRandomness bool
	// ForwardBeaconRandomness: beacon randomness at a null round takes the
	// latest entry at or above its tipset (before, at or below).
	ForwardBeaconRandomness bool
	// BeaconRoundRandomness: beacon randomness uses the entry of the drand
	// round that belongs to the epoch.
	BeaconRoundRandomness bool
	// SenderIDs: a tipset's messages are deduplicated and sequenced by the
	// sender's ID address rather than the address the message names. The
	// switch applies from the upgrade's own epoch (which still runs the old
	// version), so readers ask for the rules of the epoch after.
	SenderIDs bool
}

// MaxCallDepth is the deepest nesting of sends allowed where CallDepthLimit holds.
const MaxCallDepth = 4096
