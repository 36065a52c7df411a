package multilog

// Match reports whether line matches pattern the way daemontools' multilog
// matches (match.c): the whole line must match; a '*' at the end of the
// pattern matches anything; any other '*' matches up to the first
// occurrence of the pattern byte that follows it, with no backtracking.
// There is no escape character. It does no allocation.
func Match(pattern string, line []byte) bool {
	i := 0
	for p := 0; ; {
		if p == len(pattern) {
			return i == len(line)
		}
		c := pattern[p]
		p++
		if c == '*' {
			if p == len(pattern) {
				return true
			}
			next := pattern[p]
			for {
				if i == len(line) {
					return false
				}
				if line[i] == next {
					break
				}
				i++
			}
			continue
		}
		if i == len(line) || line[i] != c {
			return false
		}
		i++
	}
}
