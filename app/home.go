package app

import (
	"html/template"
	"net/http"
	"strings"
)

// homePage is the server's landing page until the console (its own issue) is embedded: it
// shows what the server holds and how to send and query events, in Chinese and English.
var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>精运 Jingyun</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.6 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:860px;margin:2em auto;padding:0 1em;color:#1f2328}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 10px;text-align:left}code,pre{background:#f6f8fa;padding:2px 4px}pre{padding:10px;overflow:auto}</style></head>
<body><h1>精运 Jingyun</h1>
<p>{{if eq .Lang "zh-CN"}}精细化运营平台已在运行。下面是本机的项目与已入库事件数；控制台页面即将推出。{{else}}The refined-operations platform is running. Below are this server's projects and the events loaded; the console is coming.{{end}}
 <a href="?lang={{if eq .Lang "zh-CN"}}en{{else}}zh-CN{{end}}">{{if eq .Lang "zh-CN"}}English{{else}}中文{{end}}</a></p>
<table><tr><th>ID</th><th>{{if eq .Lang "zh-CN"}}项目{{else}}Project{{end}}</th><th>{{if eq .Lang "zh-CN"}}时区{{else}}Time zone{{end}}</th><th>{{if eq .Lang "zh-CN"}}事件数{{else}}Events{{end}}</th></tr>
{{range .Projects}}<tr><td>{{.ID}}</td><td>{{.Name}}</td><td>{{.Timezone}}</td><td>{{.Events}}</td></tr>{{end}}</table>
<h2>{{if eq .Lang "zh-CN"}}发送事件{{else}}Send events{{end}}</h2>
<pre>curl -u WRITE_KEY: -H 'Content-Type: application/json' {{.Base}}/v1/track \
  -d '{"userId":"u1","event":"Product Viewed","properties":{"product_id":"p1","price":59.90}}'</pre>
<h2>{{if eq .Lang "zh-CN"}}查询{{else}}Query{{end}}</h2>
<pre>curl -H 'Authorization: Bearer SECRET_KEY' {{.Base}}/api/v1/projects/1/query \
  -d '{"kind":"funnel","steps":[{"event":"Product Viewed"},{"event":"Product Added"},{"event":"Order Completed"}],"window":"24h","date_range":{"from":"-30d"}}'</pre>
<p>{{if eq .Lang "zh-CN"}}演示项目的密钥保存在数据目录的 demo-credentials.json。{{else}}The demo project's keys are in demo-credentials.json in the data dir.{{end}}</p>
</body></html>`))

type homeProject struct {
	ID       uint32
	Name     string
	Timezone string
	Events   int64
}

func (a *App) handleHome(w http.ResponseWriter, r *http.Request) {
	lang := "en"
	if q := r.URL.Query().Get("lang"); q != "" {
		if strings.HasPrefix(q, "zh") {
			lang = "zh-CN"
		}
	} else if strings.HasPrefix(r.Header.Get("Accept-Language"), "zh") {
		lang = "zh-CN"
	}
	ps, err := a.Meta.Projects(r.Context())
	if err != nil {
		http.Error(w, "cannot list projects", http.StatusInternalServerError)
		return
	}
	counts := map[uint32]int64{}
	a.Events.Query(r.Context(), `SELECT project_id, count(*) FROM events GROUP BY project_id`, nil, func(row []any) error {
		id, _ := row[0].(int64)
		n, _ := row[1].(int64)
		counts[uint32(id)] = n
		return nil
	})
	var hp []homeProject
	for _, p := range ps {
		hp = append(hp, homeProject{p.ID, p.Name, p.Timezone, counts[p.ID]})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	homePage.Execute(w, map[string]any{"Lang": lang, "Projects": hp, "Base": "http://" + r.Host})
}
