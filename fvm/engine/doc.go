// Package engine runs Filecoin actor Wasm on wazero the way the FVM's
// engine does: each module is instrumented for gas metering and stack
// limiting, compiled once per process per code CID (and once per machine
// through wazero's on-disk compilation cache), and instantiated afresh for
// every invocation.
//
// The engine knows gas and limits, not Filecoin: the kernel registers its
// syscalls as host functions when it creates the Engine, and gives each
// instance an Account the engine settles Wasm execution gas with at every
// syscall boundary and when the invocation ends. Gas is in milligas
// throughout, as the FVM keeps it.
//
// Concurrency: an Engine, its Modules and its host functions are shared by
// every invocation in flight; an Instance belongs to one invocation and is
// used by one goroutine at a time. Host functions find their invocation
// through the *Instance they are handed, never through shared state.
package engine
