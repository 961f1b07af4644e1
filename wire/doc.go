// Package wire holds the Filecoin objects the chain stores and the VMs
// read: unsigned messages and block headers, with their CBOR encodings,
// CIDs and the JSON forms Lotus's API uses. It depends on no other tvx
// package, so the chain reader (package chain), the VMs and the syscalls
// that check consensus faults share one definition.
package wire
