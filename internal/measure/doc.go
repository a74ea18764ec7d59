// Package measure holds what beatwheel measures itself with: a lock-free
// latency histogram, process CPU time and heap per instance. It is shared by
// the reactor's Stats, cmd/beatbench and the bench/ module, so they all
// count the same way.
package measure
