package routepoint

import "sync"

// PatternNames maps the route patterns (or templates) a router returns to
// their point names, one per method word, made once per pattern, so that
// naming a request's point allocates nothing after the first. Patterns
// come from the routes registered in code, so the cache is bounded by the
// router's size. The zero value is empty and ready; it is safe for
// concurrent use, and must not be copied after first use.
type PatternNames struct {
	m sync.Map // pattern → *[NumMethods]string
}

// Get returns the point name of pattern for a request with method:
// "GET /orders/{id}" for the pattern "/orders/{id}" and the method GET, the
// method word OTHER for a method outside [Methods].
func (c *PatternNames) Get(pattern, method string) string {
	i := MethodIndex(method)
	if v, ok := c.m.Load(pattern); ok {
		return v.(*[NumMethods]string)[i]
	}
	var ns [NumMethods]string
	for j, m := range Methods {
		ns[j] = m + " " + pattern
	}
	v, _ := c.m.LoadOrStore(pattern, &ns)
	return v.(*[NumMethods]string)[i]
}
