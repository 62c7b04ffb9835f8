package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jingyun/jingyun/apierr"
	"github.com/jingyun/jingyun/auth"
	"github.com/jingyun/jingyun/importer"
	"github.com/jingyun/jingyun/importjob"
)

// Imports from the console and over HTTP: a multipart upload with a mapping becomes a job
// of package importjob (same mapping rules and all-or-nothing validation as `jingyun
// import`), whose progress callers poll. Package importjob runs the jobs; this file reads
// requests and writes answers.

// maxFormField bounds a text field of the upload form (the mapping).
const maxFormField = 1 << 20

// importAPI serves the import endpoints.
type importAPI struct {
	a   *App
	run *importjob.Runner
}

// registerImport adds the import endpoints and starts the job runner, which settles the
// jobs an earlier run left unfinished (resuming an interrupted load; see package importjob).
func (a *App) registerImport(mux *http.ServeMux, g *auth.Guard) {
	if a.imports == nil {
		r, err := importjob.Open(importjob.Config{Dir: filepath.Join(a.Cfg.DataDir, "imports"), Log: a.Log,
			MaxBytes: a.Cfg.Import.MaxBytes, MaxQueued: a.Cfg.Import.MaxQueued}, a.Loader.Sink())
		if err != nil {
			a.Log.Error("cannot start import jobs", "err", err)
		} else {
			a.imports = r
			a.closers = append(a.closers, closer{"import jobs", r.Close})
		}
	}
	h := &importAPI{a: a, run: a.imports}
	mux.HandleFunc("GET /api/v1/projects/{project}/import-presets", g.Project(auth.DataImport, h.presets))
	mux.HandleFunc("POST /api/v1/projects/{project}/imports", g.Project(auth.DataImport, h.create))
	mux.HandleFunc("GET /api/v1/projects/{project}/imports", g.Project(auth.DataImport, h.list))
	mux.HandleFunc("GET /api/v1/projects/{project}/imports/{id}", g.Project(auth.DataImport, h.get))
	mux.HandleFunc("DELETE /api/v1/projects/{project}/imports/{id}", g.Project(auth.DataImport, h.cancel))
}

func (h *importAPI) ready() error {
	if h.run == nil {
		return apierr.New(http.StatusServiceUnavailable, "imports_unavailable", "imports are not available on this server (see its log)")
	}
	return nil
}

// presets lists the shipped mappings, as JSON text to start from.
func (h *importAPI) presets(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	apierr.JSON(w, http.StatusOK, map[string]any{"presets": importer.Presets()})
	return nil
}

// tooManyImports refuses an upload while the project's import slots are taken.
func tooManyImports() *apierr.Error {
	return &apierr.Error{Status: http.StatusTooManyRequests, Code: "too_many_imports", RetryAfter: 30,
		Message: "too many imports are waiting or uploading; try again when one has finished"}
}

// create receives a multipart form: file (required), mapping (JSON text) or preset (a
// shipped mapping's name), skip_bad (true/false). Parts may come in any order; the file is
// streamed to the data dir, never held in memory.
func (h *importAPI) create(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	if err := h.ready(); err != nil {
		return err
	}
	limit := h.run.MaxBytes()
	tooLarge := apierr.New(http.StatusRequestEntityTooLarge, "file_too_large", fmt.Sprintf("the file exceeds %s", sizeText(limit)))
	tooLarge.Field = "file"
	if r.ContentLength > limit+2*maxFormField+64<<10 {
		return tooLarge
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return &apierr.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Field: "Content-Type",
			Message: "send multipart/form-data with the fields file and mapping (or preset)"}
	}
	// A large file takes longer than the server's read timeout.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(2 * time.Hour))
	r.Body = http.MaxBytesReader(w, r.Body, limit+2*maxFormField+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return apierr.Field("malformed_form", "Content-Type", "cannot read the multipart form: "+err.Error())
	}
	var (
		up                *importjob.Upload
		fileName          string
		mapping, preset   string
		haveMap, havePre  bool
		skipBad, haveSkip bool
	)
	defer func() {
		if up != nil {
			up.Discard()
		}
	}()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return formError(err, tooLarge)
		}
		name := part.FormName()
		switch name {
		case "file":
			if up != nil {
				return apierr.Field("duplicate_field", "file", "send one file per import")
			}
			fileName = part.FileName()
			up, err = h.run.Receive(acc.Project.ID, part)
			switch {
			case errors.Is(err, importjob.ErrQueueFull):
				return tooManyImports()
			case errors.Is(err, importjob.ErrTooLarge):
				return tooLarge
			case errors.Is(err, importjob.ErrEmpty):
				return apierr.Field("empty_file", "file", "the file is empty")
			case err != nil:
				var re *importjob.ReadError
				if errors.As(err, &re) {
					return formError(err, tooLarge)
				}
				if errors.Is(err, syscall.ENOSPC) {
					return &apierr.Error{Status: http.StatusInsufficientStorage, Code: "disk_full", RetryAfter: 60, Cause: err,
						Message: "the server's disk is full; the upload was discarded"}
				}
				return apierr.Internal(err)
			}
		case "mapping", "preset", "skip_bad":
			b, err := io.ReadAll(io.LimitReader(part, maxFormField+1))
			if err != nil {
				return formError(err, tooLarge)
			}
			if len(b) > maxFormField {
				return apierr.Field("too_long", name, "the field exceeds 1 MiB")
			}
			v := string(b)
			switch name {
			case "mapping":
				mapping, haveMap = v, strings.TrimSpace(v) != ""
			case "preset":
				preset, havePre = strings.TrimSpace(v), strings.TrimSpace(v) != ""
			case "skip_bad":
				if haveSkip {
					return apierr.Field("duplicate_field", name, "send skip_bad once")
				}
				haveSkip = true
				if skipBad, err = parseFormBool(v); err != nil {
					return apierr.Field("invalid_value", name, "must be true or false")
				}
			}
		default:
			return apierr.Field("unknown_field", name, "unknown form field; send file, mapping or preset, and skip_bad")
		}
		part.Close()
	}
	if up == nil {
		return apierr.Field("missing_field", "file", "choose a file to import (form field file)")
	}
	switch {
	case haveMap && havePre:
		return apierr.Field("invalid_value", "preset", "send a mapping or a preset, not both")
	case havePre:
		p, ok := findPreset(preset)
		if !ok {
			return apierr.Field("unknown_preset", "preset", fmt.Sprintf("no preset %q; the presets are %s", preset, presetNames()))
		}
		mapping = p.JSON
	case !haveMap:
		return apierr.Field("missing_field", "mapping", "send a mapping (JSON) or the name of a preset")
	}
	by := "secret key"
	if acc.User != nil {
		by = acc.User.Email
	}
	job, err := h.run.Submit(importjob.Request{ProjectID: acc.Project.ID, FileName: fileName, Mapping: []byte(mapping),
		Preset: preset, SkipBad: skipBad, By: by}, up)
	var me *importjob.MappingError
	var fe *importjob.FileError
	switch {
	case errors.As(err, &me):
		field := "mapping"
		if me.Field != "" {
			field += "." + me.Field
		}
		return apierr.Field("invalid_mapping", field, me.Err.Error())
	case errors.As(err, &fe):
		return apierr.Field("invalid_file", "file", fe.Error())
	case err != nil:
		return apierr.Internal(err)
	}
	up = nil
	w.Header().Set("Location", fmt.Sprintf("/api/v1/projects/%d/imports/%s", acc.Project.ID, job.ID))
	apierr.JSON(w, http.StatusAccepted, map[string]any{"import": job})
	return nil
}

// list gives the project's recent imports, newest first (?limit, default 20, at most 50),
// without their mapping, bad rows and report.
func (h *importAPI) list(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	if err := h.ready(); err != nil {
		return err
	}
	limit := 20
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 50 {
			return apierr.Field("invalid_value", "limit", "must be a number from 1 to 50")
		}
		limit = n
	}
	// The list is polled while an import runs: it leaves out the bulky parts, which GET
	// of one import has.
	jobs := []importSummary{}
	for _, j := range h.run.List(acc.Project.ID, limit) {
		jobs = append(jobs, importSummary{Job: j})
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"imports": jobs, "max_bytes": h.run.MaxBytes()})
	return nil
}

// importSummary is a job without its mapping, bad rows and report: the fields of the
// embedded Job with the same JSON names are shadowed and left out.
type importSummary struct {
	importjob.Job
	Mapping json.RawMessage   `json:"mapping,omitempty"`
	BadRows []importer.BadRow `json:"bad_rows,omitempty"`
	Report  *importer.Report  `json:"report,omitempty"`
}

// get gives one import's progress, and its report once it ended.
func (h *importAPI) get(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	if err := h.ready(); err != nil {
		return err
	}
	job, err := h.run.Get(acc.Project.ID, r.PathValue("id"))
	if err != nil {
		return importNotFound()
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"import": job})
	return nil
}

// cancel cancels an import that has not started loading.
func (h *importAPI) cancel(w http.ResponseWriter, r *http.Request, acc *auth.Access) error {
	if err := h.ready(); err != nil {
		return err
	}
	job, err := h.run.Cancel(acc.Project.ID, r.PathValue("id"))
	switch {
	case errors.Is(err, importjob.ErrNotFound):
		return importNotFound()
	case errors.Is(err, importjob.ErrUncancelable):
		return apierr.New(http.StatusConflict, "import_not_cancelable",
			fmt.Sprintf("the import is %s: only a queued or validating import can be cancelled (a loading one would leave part of the file imported)", job.State))
	case err != nil:
		return apierr.Internal(err)
	}
	apierr.JSON(w, http.StatusOK, map[string]any{"import": job})
	return nil
}

func importNotFound() error {
	return apierr.New(http.StatusNotFound, "import_not_found", "no import with this id in the project")
}

// formError maps a failure to read the form: a body over the limit is 413, anything else
// a malformed form.
func formError(err error, tooLarge *apierr.Error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge
	}
	return apierr.New(http.StatusBadRequest, "malformed_form", "cannot read the multipart form")
}

func parseFormBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "on", "yes":
		return true, nil
	case "false", "0", "off", "no", "":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

func findPreset(name string) (importer.Preset, bool) {
	for _, p := range importer.Presets() {
		if p.Name == name {
			return p, true
		}
	}
	return importer.Preset{}, false
}

func presetNames() string {
	var names []string
	for _, p := range importer.Presets() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
