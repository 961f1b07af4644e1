package fvm

// ChargeNamed takes the engine's charges other than Wasm execution (the
// initial memory and table at instantiation, memory growth at
// settlement; fvm/gas names them) under their own names, so a gas trace
// shows them as the FVM's does. The engine finds it on the Host it is
// given (engine.NamedAccount).
func (k *kernel) ChargeNamed(name string, milli int64) error {
	return k.cm.gas.ChargeMilli(name, milli)
}
