package clickhouse

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// client talks to ClickHouse's HTTP interface. Every call is one statement: SELECTs and
// DDL send the SQL as the POST body; INSERTs put the statement in the query string and
// stream the data as the body.
type client struct {
	base     string // server URL without trailing slash
	database string // "" for statements that must run without a database
	user     string
	password string
	http     *http.Client
}

// externalTable is a table sent with a query as HTTP "external data": the server reads it
// from the multipart body under Name, with the given structure, in RowBinary.
type externalTable struct {
	Name      string
	Structure string // e.g. "project_id UInt32, event_id String"
	Write     func(w *rowBinaryWriter) error
}

func (c *client) url(params url.Values) string {
	if c.database != "" {
		params.Set("database", c.database)
	}
	return c.base + "/?" + params.Encode()
}

// do sends a request and returns the response body of a 200 answer; any other answer is
// turned into an error carrying the server's message. closeConn stops the connection from
// being reused.
func (c *client) do(ctx context.Context, params url.Values, contentType string, body io.Reader, closeConn bool) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(params), body)
	if err != nil {
		return nil, err
	}
	req.Close = closeConn
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.user != "" || c.password != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
		return nil, &ServerError{Status: resp.StatusCode, Message: strings.TrimSpace(string(msg))}
	}
	return resp.Body, nil
}

// ServerError is an error answer of the ClickHouse server. Message is the server's text,
// e.g. "Code: 47, e.displayText() = DB::Exception: Unknown identifier: x, ...".
type ServerError struct {
	Status  int
	Message string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("clickhouse: %s (HTTP %d)", e.Message, e.Status)
}

// exec runs a statement and discards its output.
func (c *client) exec(ctx context.Context, sql string, settings url.Values) error {
	rc, err := c.query(ctx, sql, settings)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return err
	}
	return nil
}

// query runs a statement and returns its output stream, which the caller must close.
func (c *client) query(ctx context.Context, sql string, settings url.Values) (io.ReadCloser, error) {
	params := url.Values{}
	for k, v := range settings {
		params[k] = v
	}
	return c.do(ctx, params, "text/plain; charset=utf-8", strings.NewReader(sql), false)
}

// queryExternal runs a statement with external tables streamed in a multipart body.
func (c *client) queryExternal(ctx context.Context, sql string, settings url.Values, tables []externalTable) (io.ReadCloser, error) {
	params := url.Values{}
	for k, v := range settings {
		params[k] = v
	}
	params.Set("query", sql)
	for _, t := range tables {
		params.Set(t.Name+"_structure", t.Structure)
		params.Set(t.Name+"_format", "RowBinary")
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for _, t := range tables {
				part, err := mw.CreateFormFile(t.Name, t.Name)
				if err != nil {
					return err
				}
				w := newRowBinaryWriter(part)
				if err := t.Write(w); err != nil {
					return err
				}
				if err := w.Flush(); err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	// 18.16 answers without reading the end of a multipart body, and the leftover bytes
	// would be taken for the next request on the connection: never reuse it.
	rc, err := c.do(ctx, params, mw.FormDataContentType(), pr, true)
	if err != nil {
		pr.CloseWithError(err)
		return nil, err
	}
	return rc, nil
}

// insert runs "INSERT INTO table (columns) FORMAT RowBinary" with rows streamed by write.
// The body is produced while it is sent, so a large batch never sits in memory as a whole.
func (c *client) insert(ctx context.Context, table, columns string, write func(w *rowBinaryWriter) error) error {
	params := url.Values{}
	params.Set("query", "INSERT INTO "+table+" ("+columns+") FORMAT RowBinary")
	pr, pw := io.Pipe()
	go func() {
		w := newRowBinaryWriter(pw)
		err := write(w)
		if err == nil {
			err = w.Flush()
		}
		pw.CloseWithError(err)
	}()
	rc, err := c.do(ctx, params, "application/octet-stream", pr, false)
	if err != nil {
		// Unblock the writer goroutine if the server answered before reading everything.
		pr.CloseWithError(err)
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// readAllString runs a statement and returns its whole output; for small answers only.
func (c *client) readAllString(ctx context.Context, sql string) (string, error) {
	rc, err := c.query(ctx, sql, nil)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, rc); err != nil {
		return "", err
	}
	return b.String(), nil
}
