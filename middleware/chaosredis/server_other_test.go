//go:build !linux

package chaosredis_test

import "errors"

// startServer reports that the tests start their Redis server only on
// Linux, where .ci/services.sh installs it.
func startServer() (string, error) {
	return "", errors.New("the test Redis server is started on Linux only")
}
