package chaoshttp

import (
	"net/http"
	"strings"
)

// AdminPrefix is the path under which the documentation of package
// [github.com/faultline-go/faultline/chaos/admin] mounts the admin
// handler. [Middleware] never injects a fault into a request whose URL path
// is "/debug/faultline" or lies under AdminPrefix, whatever plan is
// applied, so that no plan can keep operators from the kill switch. Mount
// the admin handler elsewhere and name its prefix with [WithExempt].
const AdminPrefix = "/debug/faultline/"

// exempted reports whether the path of r lies under one of the exempt
// prefixes of c.
func (c *config) exempted(r *http.Request) bool {
	if r.URL == nil {
		return false
	}
	for _, p := range c.exempt {
		if under(r.URL.Path, p) {
			return true
		}
	}
	return false
}

// under reports whether path is dir or lies under dir, a path without its
// trailing slash ("" for the root, under which every path lies).
func under(path, dir string) bool {
	return strings.HasPrefix(path, dir) && (len(path) == len(dir) || path[len(dir)] == '/')
}

// exemptDir returns the prefix of WithExempt as under takes it, and
// whether it is one.
func exemptDir(prefix string) (string, bool) {
	if !strings.HasPrefix(prefix, "/") {
		return "", false
	}
	return strings.TrimRight(prefix, "/"), true
}
