package wheel

import "time"

// Tick returns the wheel's resolution, Config.Tick with its default
// filled: an entry fires up to one Tick after its due time.
func (w *Wheel) Tick() time.Duration { return w.cfg.Tick }
