package wal

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

func segmentName(num int64) string { return fmt.Sprintf("%016d.seg", num) }

func segmentHeader() []byte {
	return append([]byte(segmentMagic), segmentVersion)
}

// listSegments returns the numbers of the segment files in dir, ascending.
func listSegments(dir string) ([]int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot list wal directory %q: %w", dir, err)
	}
	var nums []int64
	for _, e := range entries {
		name := e.Name()
		digits, ok := strings.CutSuffix(name, ".seg")
		if !ok || len(digits) != 16 || !e.Type().IsRegular() {
			continue
		}
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || n < 0 {
			continue
		}
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	return nums, nil
}

// checkHeader reads the segment header. It returns a non-empty reason when the header is
// torn (shorter than a header, or all zero bytes) and an error when it is not ours.
func checkHeader(f io.ReaderAt, size int64) (torn string, err error) {
	if size < segmentHeaderSize {
		return "incomplete segment header", nil
	}
	var h [segmentHeaderSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return "", fmt.Errorf("cannot read segment header: %w", err)
	}
	if string(h[:len(segmentMagic)]) != segmentMagic {
		if h == [segmentHeaderSize]byte{} {
			return "zeroed segment header", nil
		}
		return "", fmt.Errorf("cannot parse segment header %q: bad magic: %w", h[:], ErrCorrupt)
	}
	if v := h[len(segmentMagic)]; v != segmentVersion {
		return "", fmt.Errorf("cannot parse segment header: unsupported version %d", v)
	}
	return "", nil
}

// scanSegment checks the records of a segment of size bytes whose header is valid. It
// returns the offset just after the last good record and, when that is before size, why
// the next record is bad. err is only for I/O errors.
func scanSegment(f io.ReaderAt, size int64) (end int64, reason string, err error) {
	br := bufio.NewReaderSize(io.NewSectionReader(f, segmentHeaderSize, size-segmentHeaderSize), 1<<20)
	h := crc32.New(castagnoli)
	off := int64(segmentHeaderSize)
	var hdr [recordHeaderSize]byte
	for off < size {
		if size-off < recordHeaderSize {
			return off, "incomplete record header", nil
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return off, "", err
		}
		n := binary.LittleEndian.Uint32(hdr[0:4])
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		switch {
		case n == 0:
			return off, "zero record length", nil
		case n > MaxRecordSize:
			return off, fmt.Sprintf("record length %d over the limit", n), nil
		case int64(n) > size-off-recordHeaderSize:
			return off, "incomplete record payload", nil
		}
		h.Reset()
		if _, err := io.CopyN(h, br, int64(n)); err != nil {
			return off, "", err
		}
		if h.Sum32() != sum {
			return off, "checksum mismatch", nil
		}
		off += recordHeaderSize + int64(n)
	}
	return off, "", nil
}

// verifySegment checks a sealed segment to its last byte and returns its size.
func verifySegment(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("cannot open segment %q: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("cannot stat segment %q: %w", path, err)
	}
	size := fi.Size()
	torn, err := checkHeader(f, size)
	if err != nil {
		return 0, fmt.Errorf("cannot open segment %q: %w", path, err)
	}
	if torn != "" {
		return 0, fmt.Errorf("cannot open sealed segment %q: %s: %w", path, torn, ErrCorrupt)
	}
	end, reason, err := scanSegment(f, size)
	if err != nil {
		return 0, fmt.Errorf("cannot read segment %q: %w", path, err)
	}
	if end != size {
		return 0, fmt.Errorf("cannot open sealed segment %q: record at offset %d: %s: %w", path, end, reason, ErrCorrupt)
	}
	return size, nil
}
