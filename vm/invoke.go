package vm

import (
	"bytes"
	"fmt"

	"github.com/filecoin-project/go-state-types/abi"
	"github.com/filecoin-project/go-state-types/exitcode"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/tvx-project/tvx/vm/state"
)

// invoke dispatches a method call to the receiver's code: look up the code
// and method, decode the parameters, run the method recovering its aborts
// and crashes, require that it validated its caller, and encode its return.
func (m *Machine) invoke(rt *Runtime, to *state.Actor, method abi.MethodNum, params []byte) ([]byte, *actorError) {
	e, ok := m.registry.Lookup(to.Code)
	if !ok {
		return nil, abortf(exitcode.SysErrorIllegalActor, "no code for actor %s (method %d)", to.Code, method)
	}
	if !e.RunsUnder(m.rules.ActorsVersion) {
		return nil, abortf(exitcode.SysErrorIllegalActor, "actor code %s is actors version %d, network version %d runs version %d",
			to.Code, e.Version, m.rules.Version, m.rules.ActorsVersion)
	}
	rt.entry = e
	meth, ok := e.Method(method)
	if !ok {
		return nil, abortf(exitcode.SysErrInvalidMethod, "no method %d on actor %s", method, to.Code)
	}
	p, err := meth.NewParams()
	if err != nil {
		return nil, escalate(err, "allocate parameters")
	}
	if err := p.UnmarshalCBOR(bytes.NewReader(params)); err != nil {
		return nil, &actorError{code: m.rules.ParamsDecodeExit, msg: "failed to decode parameters", cause: err}
	}
	return rt.run(func() (interface{}, error) { return meth.Call(rt, p) })
}

// run executes actor code at the invocation boundary. Aborts (panics with
// an actor error) become the send's error; any other panic is an actor crash
// with the network version's crash exit code.
func (rt *Runtime) run(f func() (interface{}, error)) (ret []byte, aerr *actorError) {
	defer func() {
		if r := recover(); r != nil {
			ret = nil
			if ae, ok := r.(*actorError); ok {
				aerr = ae
				return
			}
			aerr = abortf(rt.m.rules.ActorPanicExit, "actor crashed: %v", r)
		}
	}()
	v, err := f()
	if err != nil {
		return nil, escalate(fmt.Errorf("%w: %v", errNoRuntime, err), "invoke")
	}
	if !rt.callerValidated {
		rt.fail(exitcode.SysErrorIllegalActor, "method did not validate its caller")
	}
	if rt.m.rules.CheckStateMutation {
		rt.checkLoans()
	}
	switch v := v.(type) {
	case []byte:
		return v, nil
	case *abi.EmptyValue:
		return nil, nil
	case cbg.CBORMarshaler:
		var buf bytes.Buffer
		if err := v.MarshalCBOR(&buf); err != nil {
			return nil, &actorError{code: exitcode.SysErrSenderStateInvalid, msg: "failed to encode return value", cause: err}
		}
		return buf.Bytes(), nil
	case nil:
		return nil, nil
	}
	return nil, abortf(exitcode.SysErrInvalidMethod, "return value of type %T cannot be encoded", v)
}
