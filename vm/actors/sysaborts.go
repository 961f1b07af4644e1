package actors

import (
	"github.com/filecoin-project/go-state-types/exitcode"
	"github.com/tvx-project/tvx/builtin"

	"github.com/tvx-project/tvx/protocol"
)

// ownSystemAborts lists the system exit codes that builtin actors raise on
// their own, rather than by re-raising the code of a failed send. Chain
// history holds receipts with these codes, so the VM's policing of abort
// codes (protocol.Rules.PoliceAbortCodes) must let them through.
var ownSystemAborts = []struct {
	kind    string
	version protocol.ActorsVersion
	code    exitcode.ExitCode
}{
	// Multisig LockBalance did not exist before network version 2; the v0.9
	// actor fails it there the way the VM fails a missing method.
	{builtin.KindMultisig, 0, exitcode.SysErrInvalidMethod},
	// PreCommitSector with ReplaceCapacity, discontinued by actors v7.
	{builtin.KindMiner, 7, exitcode.SysErrForbidden},
}

// RaisesSystemCode reports whether the actor's own code aborts with the
// system exit code c in some method (see ownSystemAborts).
func (e *Entry) RaisesSystemCode(c exitcode.ExitCode) bool {
	for _, a := range ownSystemAborts {
		if a.kind == e.Kind && a.version == e.Version && !e.AnyVersion && a.code == c {
			return true
		}
	}
	return false
}
