package event

import "testing"

func TestFormatUUID(t *testing.T) {
	f := func(in [16]byte, version byte, want string) {
		t.Helper()
		if got := FormatUUID(&in, version); got != want {
			t.Fatalf("FormatUUID(%x, %d) = %s, want %s", in, version, got, want)
		}
	}
	f([16]byte{}, 4, "00000000-0000-4000-8000-000000000000")
	f([16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 8,
		"ffffffff-ffff-8fff-bfff-ffffffffffff")
}
