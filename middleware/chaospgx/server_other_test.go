//go:build !linux

package chaospgx_test

import "errors"

// startServer reports that the tests start their PostgreSQL cluster only
// on Linux, where .ci/services.sh installs it.
func startServer() (string, error) {
	return "", errors.New("the test PostgreSQL cluster is started on Linux only")
}
