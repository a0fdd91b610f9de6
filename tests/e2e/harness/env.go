package harness

import (
	"os"
	"testing"
)

// GroundtruthBinary returns the groundtruth CLI under test ($GT_BIN, set by
// run.sh to BUILD_DIR/cli/groundtruth) or skips the test when it is absent.
func GroundtruthBinary(t testing.TB) string {
	t.Helper()
	p := os.Getenv("GT_BIN")
	if p == "" {
		t.Skip("e2e: GT_BIN is not set; run tests/e2e/run.sh BUILD_DIR")
	}
	if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		t.Skipf("e2e: GT_BIN=%s is not an executable; build the cli target first", p)
	}
	return p
}
