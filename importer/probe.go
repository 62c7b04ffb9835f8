package importer

import "fmt"

// CheckFile opens the file at path as Run would and reads as far as its first data row:
// it finds an empty CSV file, a header that lacks a column of the mapping or a broken gzip
// stream at once, before anything is queued or read in full. Rows are not checked; Run
// does that.
func CheckFile(path string, m *Mapping) error {
	p, err := compile(m)
	if err != nil {
		return err
	}
	src, err := openSource(path, p, nil)
	if err != nil {
		return fmt.Errorf("cannot read the file: %w", err)
	}
	return src.close()
}
