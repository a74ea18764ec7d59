package wheel

import "slices"

// sortNearly sorts list, which holds distinct values mostly in order, in
// O(n + k log k) for k values out of place, using buf as scratch space,
// and returns buf for reuse. It keeps an increasing subsequence in place,
// dropping a value that is below the last one kept or that stands above
// its successor where the successor would fit; sorts the dropped values;
// and merges the two from the back. A tick's list after churn is such a
// list: appends of new entries and removals that moved the last entry into
// the hole. On a list in no order it costs what a sort costs.
func sortNearly(list, buf []uint32) []uint32 {
	buf = buf[:0]
	kept := 0
	for p, x := range list {
		below := kept > 0 && x < list[kept-1]
		peak := p+1 < len(list) && x > list[p+1] && (kept == 0 || list[p+1] > list[kept-1])
		if below || peak {
			buf = append(buf, x)
			continue
		}
		list[kept] = x
		kept++
	}
	if len(buf) == 0 {
		return buf
	}
	slices.Sort(buf)
	i, j := kept-1, len(buf)-1
	for w := len(list) - 1; j >= 0; w-- {
		if i >= 0 && list[i] > buf[j] {
			list[w] = list[i]
			i--
		} else {
			list[w] = buf[j]
			j--
		}
	}
	return buf
}
