package fvm

// syscalls lists the host functions of the kernel's network version.
func (k *kernel) syscalls() []HostFunction {
	return nil
}
