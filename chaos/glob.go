package chaos

import "strings"

// Match reports whether the point name matches the rule pattern, in which
// '*' stands for any run of characters (slashes, dots and spaces included)
// and every other character for itself: "sql.*" matches "sql.query", and
// "GET /users/*" matches "GET /users/{id}".
func Match(pattern, name string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == name
	}
	return compileGlob(pattern).match(name)
}

// glob is a pattern split at its stars once, when a plan is applied, so
// that matching it against each point does not split it again.
type glob struct {
	pattern string
	parts   []string // nil for a pattern without a star
}

func compileGlob(pattern string) glob {
	g := glob{pattern: pattern}
	if strings.Contains(pattern, "*") {
		g.parts = strings.Split(pattern, "*")
	}
	return g
}

// exact reports whether the pattern names one point.
func (g glob) exact() bool { return g.parts == nil }

// match reports whether name matches the pattern.
func (g glob) match(name string) bool {
	if g.parts == nil {
		return g.pattern == name
	}
	parts := g.parts
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(name, p)
		if i < 0 {
			return false
		}
		name = name[i+len(p):]
	}
	return len(name) >= len(last) && strings.HasSuffix(name, last)
}

// matchAny reports whether name matches one of patterns.
func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if Match(p, name) {
			return true
		}
	}
	return false
}
