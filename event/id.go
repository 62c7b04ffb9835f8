package event

import "encoding/hex"

// FormatUUID writes 16 bytes as a UUID string (8-4-4-4-12 hex digits) after setting the
// version nibble and the RFC 9562 variant bits: version 4 for random ids, 8 for ids derived
// from a hash (deterministic import ids). It modifies b.
func FormatUUID(b *[16]byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
