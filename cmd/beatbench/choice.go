package main

// named is a choice a flag selects by name: a scheduler or a transport.
type named interface{ choiceName() string }

// lookup returns the choice of list called name.
func lookup[T named](list []T, name string) (T, bool) {
	for _, c := range list {
		if c.choiceName() == name {
			return c, true
		}
	}
	var zero T
	return zero, false
}

// names returns the names of list's choices, in order (the default first).
func names[T named](list []T) []string {
	out := make([]string, 0, len(list))
	for _, c := range list {
		out = append(out, c.choiceName())
	}
	return out
}
