// Package syscalls implements the pre-FVM Filecoin syscalls that actor code
// reaches through its runtime: signature verification, blake2b hashing,
// unsealed-sector commitment (CommD) computation, consensus-fault
// verification and the proof-verification policy.
//
// Everything here is a pure computation over its arguments. The package
// holds no mutable state, charges no gas and resolves no addresses: the VM
// runtime charges the syscall's gas from its price list, resolves ID
// addresses to key addresses, and supplies chain context (current epoch,
// network version, worker keys at lookback) through [ConsensusFaultEnv].
// All functions are safe to call from many goroutines at once.
//
// SNARK verification is the one syscall tvx cannot run for real, because the
// verifying keys are not part of any test vector. [DefaultVerifier] checks
// that a proof is well formed and then accepts it by policy, counting each
// such acceptance so a run's report can say how many results relied on it.
package syscalls
