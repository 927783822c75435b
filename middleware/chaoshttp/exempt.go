package chaoshttp

import (
	"net/http"

	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// AdminPrefix ("/debug/faultline/") is the path under which the documentation of package
// [github.com/faultline-go/faultline/chaos/admin] mounts the admin
// handler. [Middleware] never injects a fault into a request whose URL path
// is "/debug/faultline" or lies under AdminPrefix, whatever plan is
// applied, so that no plan can keep operators from the kill switch. Mount
// the admin handler elsewhere and name its prefix with [WithExempt].
const AdminPrefix = routepoint.AdminPrefix

// exempted reports whether the path of r lies under one of the exempt
// prefixes of c.
func (c *config) exempted(r *http.Request) bool {
	return r.URL != nil && c.Exempted(r.URL.Path)
}
