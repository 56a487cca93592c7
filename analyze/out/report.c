/*
 * report.c: write the HTML report.
 *
 * The page is built in one buffer by a writer that remembers its first
 * error (struct rw), so the section writers read top to bottom like the
 * page.  Nothing from the case or the policies reaches the page except
 * through rw_esc(); the graph's SVG comes from graphviz, which escapes
 * its text itself (and gets DOT-escaped input from graph.c).
 */
#include "analyze/out/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/engine/redaction.h"
#include "analyze/out/graph.h"
#include "analyze/out/series.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/util.h"
#include "common/xmalloc.h"
#include "common/compat.h"

/* ---- the writer ------------------------------------------------------------ */

struct rw {
    struct buf *out;
    int rc; /* first error; later writes do nothing */
};

PRINTF_LIKE(2, 3) static void rw_f(struct rw *w, const char *fmt, ...)
{
    va_list ap;

    if (w->rc)
        return;
    va_start(ap, fmt);
    w->rc = buf_vaddf(w->out, fmt, ap);
    va_end(ap);
}

static void rw_s(struct rw *w, const char *s)
{
    if (!w->rc)
        w->rc = buf_addstr(w->out, s);
}

int report_esc(struct buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    const unsigned char *end = p + strlen((const char *)p);
    int rc = 0;

    while (*p && !rc) {
        size_t n = utf8_len(p, (size_t)(end - p));

        switch (*p) {
        case '&':
            rc = buf_addstr(out, "&amp;");
            break;
        case '<':
            rc = buf_addstr(out, "&lt;");
            break;
        case '>':
            rc = buf_addstr(out, "&gt;");
            break;
        case '"':
            rc = buf_addstr(out, "&quot;");
            break;
        case '\'':
            rc = buf_addstr(out, "&#39;");
            break;
        default:
            if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f || !n) {
                rc = buf_addch(out, '?');
                n = 1;
            } else {
                rc = buf_add(out, p, n);
            }
            p += n;
            continue;
        }
        p++;
    }
    return rc;
}

static void rw_esc(struct rw *w, const char *s)
{
    if (!w->rc)
        w->rc = report_esc(w->out, s);
}

/* ---- small texts ------------------------------------------------------------ */

static void ident_text(const struct case_ep *ep, const struct ipaddr *ip, char *b, size_t size)
{
    out_ident(ep, ip, b, size);
}

static void rw_time(struct rw *w, int64_t ns)
{
    char t[48];

    format_rfc3339(ns, t, sizeof(t));
    rw_esc(w, t);
}

/* A flow's time in a table cell, to the millisecond ("2024-05-01
 * 10:00:10.000"; UTC like every time on the page). */
static void rw_time_short(struct rw *w, int64_t ns)
{
    char t[48];

    format_rfc3339(ns, t, sizeof(t));
    if (strlen(t) >= 23 && t[10] == 'T') {
        t[10] = ' ';
        t[23] = 0;
    }
    rw_esc(w, t);
}

static void rw_decider(struct rw *w, const struct eng_verdict *v)
{
    struct buf t;

    buf_init(&t, 0);
    if (flowset_decider_text(v, &t) == 0)
        rw_esc(w, t.data);
    buf_release(&t);
}

static void rw_policy(struct rw *w, const struct policy *p)
{
    struct buf t;

    buf_init(&t, 0);
    if (eng_policy_name(p, &t) == 0)
        rw_esc(w, t.data);
    buf_release(&t);
}

/* The labels of an identity for a title attribute: "k=v, k=v". */
static void rw_labels(struct rw *w, const struct case_ep *ep)
{
    size_t i;

    if (!ep)
        return;
    for (i = 0; i < ep->labels.n; i++) {
        rw_s(w, i ? ", " : "");
        rw_esc(w, ep->labels.v[i].key);
        rw_s(w, "=");
        rw_esc(w, ep->labels.v[i].value);
    }
}

/* Ports as people read a set: "42001–42002, 42005" (sorted input). */
static void rw_ports(struct rw *w, const uint16_t *ports, size_t n)
{
    size_t i, j;

    for (i = 0; i < n; i = j + 1) {
        j = i;
        while (j + 1 < n && ports[j + 1] == ports[j] + 1)
            j++;
        rw_s(w, i ? ", " : "");
        if (j > i)
            rw_f(w, "%u\xe2\x80\x93%u", ports[i], ports[j]);
        else
            rw_f(w, "%u", ports[i]);
    }
}

static void rw_proto(struct rw *w, int proto)
{
    const char *p = proto_name(proto);

    if (p)
        rw_s(w, p);
    else
        rw_f(w, "proto %d", proto);
}

/* ---- the page's fixed parts --------------------------------------------------- */

/* The line that says how many rows of the case were left out as unusable
 * (apart: page_css is near the length C99 promises for a literal). */
static const char leftout_css[] =
    ".leftout{margin:8px 24px;padding:8px 12px;background:#fff0d6;color:#8a5a00}";

static const char page_css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "color:#1f2d3d;background:#f5f7fa}"
    "header{background:#1f3a5f;color:#fff;padding:18px 28px}"
    "header h1{margin:0 0 4px;font-size:20px;font-weight:600}"
    "header .meta{opacity:.85;font-size:12.5px}"
    "nav{background:#fff;border-bottom:1px solid #dde3ea;padding:8px 28px;position:sticky;top:0;"
    "z-index:5}"
    "nav a{margin-right:18px;color:#1f3a5f;text-decoration:none;font-weight:500}"
    "main{padding:18px 28px 60px;max-width:1500px}"
    "section{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:16px 20px;"
    "margin:0 0 20px}"
    "h2{font-size:17px;margin:0 0 10px;color:#1f3a5f}"
    "h3{font-size:14.5px;margin:16px 0 6px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:20px}"
    ".card{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:10px 16px;"
    "min-width:130px}"
    ".card b{display:block;font-size:22px}"
    ".card.bad b{color:#c0392b}.card.good b{color:#2e7d4f}.card.warn b{color:#b7791f}"
    "p.warn{color:#b7791f;font-weight:600}"
    ".legend span{display:inline-block;margin-right:16px;font-size:12.5px}"
    ".legend i{display:inline-block;width:26px;height:4px;vertical-align:middle;margin-right:6px;"
    "border-radius:2px}"
    "#graph-box{overflow:auto;max-height:80vh;border:1px solid #eef1f5;border-radius:6px;"
    "background:#fff}"
    /* Fitted to the page's width (a glance at the whole); "actual size"
     * lets a large graph scroll at its natural size instead. */
    "#graph-box svg{display:block;margin:auto;max-width:100%;height:auto}"
    "#graph-box.actual svg{max-width:none}"
    "g.edge{cursor:pointer}g.edge:hover path{stroke-width:4}"
    "g.edge.sel path{stroke-width:5}"
    "g.node{cursor:pointer}g.node:hover path,g.node:hover polygon{stroke-width:2.5}"
    "g.node.sel path,g.node.sel polygon{stroke:#1f3a5f;stroke-width:3}"
    "#side{position:fixed;top:0;right:0;bottom:0;width:min(760px,56vw);background:#fff;"
    "border-left:1px solid #c5d0de;box-shadow:-4px 0 16px rgba(31,58,95,.15);overflow:auto;"
    "padding:14px 18px;z-index:10}"
    "#side-close{float:right;font-size:18px;border:0;background:none;cursor:pointer}"
    "table.compact td,table.compact th{padding:3px 6px;font-size:12.5px}"
    ".fv{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}"
    "#fv-info{flex:1;min-width:320px;max-height:660px;overflow:auto}"
    "#fv-chord{max-width:100%;height:auto}"
    "#fv-chord .chord{fill:none;stroke-opacity:.5;cursor:pointer}"
    "#fv-chord .chord:hover,#fv-chord .chord.sel{stroke-opacity:.95}"
    "#fv-chord .chord.off,#fv-chord .chord.tout{display:none}"
    "body:not(.show-ungov) .chord.ungoverned{display:none}"
    ".ns-arc{fill:#1f3a5f;cursor:zoom-in}.fv-ns.dim{opacity:.25}.wl-arc{fill:#8da2bb}"
    ".ns-label{font:600 13px sans-serif;fill:#1f3a5f}.wl-label{font:8px sans-serif;fill:#34495e}"
    "#ts{max-width:1110px;user-select:none;cursor:crosshair}"
    ".ts-a{fill:#2e8b57}.ts-d{fill:#d0312d}.ts-u{fill:#808080}.ax{font:9px "
    "sans-serif;fill:#5b6b7f}.cov{fill:#5b6b7f}"
    "#ts-sel{fill:#1f6fd1;fill-opacity:.15;stroke:#1f6fd1}#ts-hit{fill:transparent}"
    "i.sw{display:inline-block;width:10px;height:10px;vertical-align:middle}";
/* The rest of the style sheet: one string of each stays under the 4095
 * characters C99 promises (-Woverlength-strings). */
static const char page_css2[] =
    "tr.total td{background:#f0f3f7}"
    /* Two rows of heads: they stick as one (each th at the bar's height
     * would lay the second over the first). */
    "#ns-table th{position:static}#ns-table thead{position:sticky;top:41px;z-index:1}"
    /* A time range selected: the graph's edges and nodes without traffic
     * in it faded (graphviz's layout kept). */
    "g.edge.tout{opacity:.12}g.node.tout{opacity:.3}.in-range{font-weight:600}td.peer-n.tout{color:"
    "#999}"
    "#edge-panel{margin-top:12px}"
    ".hint{color:#6b7a8c;font-size:12.5px}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef1f5;vertical-align:top}"
    "th{background:#f0f3f7;font-weight:600;position:sticky;top:41px}"
    "th.sort{cursor:pointer;user-select:none}th.sort:after{content:' \\2195';color:#9aa8b8}"
    "td small{color:#6b7a8c}"
    "tr.v-deny td:first-child{border-left:4px solid #d0312d}"
    "tr.v-allow td:first-child{border-left:4px solid #2e8b57}"
    ".tag{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;"
    "white-space:nowrap}"
    "th{white-space:nowrap}td.time{white-space:nowrap}"
    "tr.policy td{background:#fafbfd;padding-top:9px}"
    "tr.tier th{background:#e4eaf2;color:#1f3a5f;font-size:13.5px}"
    "tr.eot td{background:#fff7f6}"
    ".t-deny{background:#fde2e1;color:#a61b17}.t-allow{background:#dff3e7;color:#1e6b43}"
    ".t-warn{background:#fff0d6;color:#8a5a00}.t-mute{background:#eef1f5;color:#5b6b7f}"
    ".never{color:#8795a6}"
    ".num{text-align:right;font-variant-numeric:tabular-nums}"
    ".filters{margin:0 0 10px}.filters input,.filters select{font:inherit;padding:4px 8px;"
    "border:1px solid #c5d0de;border-radius:5px}"
    ".filters input{width:320px}"
    "code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}";

/* Sorting, filtering, the edge panel (a click on an edge, or a link to
 * page.html#edge-eN, shows the edge's flows and filters the table to
 * them), the side panel (a click on a node, or page.html#node-nN: every
 * flow in and out of it, the table filtered to them), and the toggle
 * between the drawings with and without what policy does not govern
 * (whose ids are prefixed "all_").  No data is embedded in the script:
 * rows and panels are server-written (escaped) HTML. */
static const char page_js[] =
    "(function(){\n"
    "var tb=document.querySelector('#flows-table tbody');\n"
    "var f=document.getElementById('flow-filter'),fv=document.getElementById('verdict-filter');\n"
    "var cur=null,curNode=null;\n"
    "function $(id){return document.getElementById(id);}\n"
    "function both(id,fn){[id,'all_'+id].forEach(function(x){var e=$(x);if(e)fn(e);});}\n"
    "function base(id){return id.replace(/^all_/,'');}\n"
    "function apply(){var q=f.value.toLowerCase(),v=fv.value,n=0;\n"
    " Array.prototype.forEach.call(tb.rows,function(r){\n"
    "  var ok=(!q||r.textContent.toLowerCase().indexOf(q)>=0)&&(!v||r.className.indexOf('v-'+v)>=0)"
    "&&(!cur||r.getAttribute('data-edge')===cur)"
    "&&(!curNode||(' '+r.getAttribute('data-n')+' ').indexOf(' '+curNode+' ')>=0)"
    "&&!r.hasAttribute('data-out');\n"
    "  r.style.display=ok?'':'none';if(ok)n++;});\n"
    " $('flow-count').textContent=n+' shown';}\n"
    "window.podflowApply=apply;\n"
    "f.addEventListener('input',apply);fv.addEventListener('change',apply);\n"
    "document.querySelectorAll('#flows-table th.sort').forEach(function(th,i){\n"
    " th.addEventListener('click',function(){\n"
    "  var col=th.cellIndex,asc=th.getAttribute('data-dir')!=='asc';\n"
    "  th.setAttribute('data-dir',asc?'asc':'desc');\n"
    "  var rows=Array.prototype.slice.call(tb.rows);\n"
    "  rows.sort(function(a,b){var x=a.cells[col].getAttribute('data-k')||a.cells[col].textContent,"
    "y=b.cells[col].getAttribute('data-k')||b.cells[col].textContent;\n"
    "   var "
    "nx=parseFloat(x),ny=parseFloat(y),c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);\n"
    "   return asc?c:-c;});\n"
    "  rows.forEach(function(r){tb.appendChild(r);});});});\n"
    "function pick(id){\n"
    " document.querySelectorAll('.edge-detail').forEach(function(d){d.hidden=true;});\n"
    " document.querySelectorAll('g.edge').forEach(function(g){g.classList.remove('sel');});\n"
    " cur=id;var d=id&&$('d-'+id);\n"
    " $('edge-none').hidden=!!d;\n"
    " $('edge-clear').hidden=!d;\n"
    " if(d){d.hidden=false;both(id,function(e){e.classList.add('sel');});}\n"
    " apply();}\n"
    "function pickNode(id){\n"
    " document.querySelectorAll('.node-detail').forEach(function(d){d.hidden=true;});\n"
    " document.querySelectorAll('g.node').forEach(function(g){g.classList.remove('sel');});\n"
    " curNode=id;var d=id&&$('d-'+id);\n"
    " $('side').hidden=!d;\n"
    " if(d){d.hidden=false;both(id,function(e){e.classList.add('sel');});}\n"
    " else curNode=null;\n"
    " apply();}\n"
    "document.querySelectorAll('g.edge').forEach(function(g){\n"
    " g.addEventListener('click',function(){pick(base(g.id));});});\n"
    "document.querySelectorAll('g.node').forEach(function(g){\n"
    " g.addEventListener('click',function(){pickNode(base(g.id));});});\n"
    "$('edge-clear').addEventListener('click',function(){pick(null);});\n"
    "$('side-close').addEventListener('click',function(){pickNode(null);});\n"
    "var ga=$('graph-actual');\n"
    "ga.addEventListener('change',function(){$('graph-box').classList.toggle('actual',ga.checked);}"
    ");\n"
    "var ug=$('show-ungoverned');\n"
    "if(ug)ug.addEventListener('change',function(){$('graph-gov').hidden=ug.checked;"
    "$('graph-all').hidden=!ug.checked;document.body.classList.toggle('show-ungov',ug.checked);});"
    "\n"
    "";

/* The service graph under a time range (run in the same function as
 * page_js): each edge's panel carries the buckets its flows overlap,
 * "b0-b1:allowed,denied,unknown" per run of flows over the same buckets
 * (data-tb), and its ends (data-s, data-d).  An edge with no flow in the
 * range is faded, a node with no such edge too; the others say how many
 * of their flows are in it (panel, tooltip), and a mixed edge whose flows
 * in the range share one verdict takes that verdict's colour (data-c-*
 * of #graph-box).  Without a range, everything as drawn. */
static const char page_js_range[] =
    "var eSum=[].slice.call(document.querySelectorAll('p.edge-sum'));\n"
    "function recolor(g,hex){g.querySelectorAll('path,polygon,text').forEach(function(x){\n"
    " ['stroke','fill'].forEach(function(k){var o=x.getAttribute('data-o'+k);\n"
    "  if(o===null){o=x.getAttribute(k)||'';x.setAttribute('data-o'+k,o);}\n"
    "  if(o&&o!=='none'&&!(x.tagName==='text'&&k==='stroke'))x.setAttribute(k,hex||o);});});}\n"
    "function graphRange(r){var on={};\n"
    " eSum.forEach(function(p){var a=0,d=0,u=0,n,id=p.getAttribute('data-e'),col=null;\n"
    "  if(r)p.getAttribute('data-tb').split(' ').forEach(function(x){"
    "var m=/^([0-9]+)-([0-9]+):([0-9]+),([0-9]+),([0-9]+)$/.exec(x);\n"
    "   if(m&&+m[1]<=r[1]&&+m[2]>=r[0]){a+=+m[3];d+=+m[4];u+=+m[5];}});\n"
    "  n=a+d+u;if(r&&n){on[p.getAttribute('data-s')]=1;on[p.getAttribute('data-d')]=1;}\n"
    "  if(r&&n&&p.getAttribute('data-c')==='mixed')"
    "col=a===n?'allow':d===n?'deny':u===n?'unknown':null;\n"
    "  var txt=r?n+' of them in the selected range: '+a+' allowed, '+d+' denied, '+u+"
    "' unknown.':'';\n"
    "  p.querySelector('.in-range').textContent=txt;\n"
    /* A node's side panel: each peer's flow count, in the range of all. */
    "  document.querySelectorAll('td.peer-n[data-e=\"'+id+'\"]').forEach(function(c){"
    "var o=c.getAttribute('data-n');c.textContent=r?n+' of '+o:o;"
    "c.classList.toggle('tout',!!r&&!n);});\n"
    "  both(id,function(g){g.classList.toggle('tout',!!r&&!n);"
    "recolor(g,col&&$('graph-box').getAttribute('data-c-'+col));\n"
    "   var t=g.querySelector('a');if(!t)return;var o=t.getAttribute('data-tip');\n"
    "   if(o===null){o=t.getAttribute('xlink:title')||'';t.setAttribute('data-tip',o);}\n"
    "   t.setAttribute('xlink:title',o+(txt?'; '+txt:''));});});\n"
    " document.querySelectorAll('g.node').forEach(function(g){"
    "g.classList.toggle('tout',!!r&&!on[base(g.id)]);});}\n";

/* The traffic section's part of the script (its own array: C11 compilers
 * need not take a string longer than 4095 bytes), run in the same
 * function as page_js. */
static const char page_js_traffic[] =
    /* The volumetric view: metric, zoom into a namespace, a chord's flows. */
    "var fv=$('fv-chord'),chords=[].slice.call(document.querySelectorAll('#fv-chords .chord'));\n"
    "function zoom(gi){var vb=fv.getAttribute('data-vb');\n"
    " chords.forEach(function(c){c.classList.toggle('off',gi!==null&&"
    "c.getAttribute('data-g').split(' ').indexOf(gi)<0);});\n"
    " document.querySelectorAll('.fv-ns').forEach(function(g){g.classList.toggle('dim',"
    "gi!==null&&g.getAttribute('data-g')!==gi);});\n"
    " if(gi!==null){var b=$('fv-g'+gi).getBBox(),x0=b.x,y0=b.y,x1=b.x+b.width,y1=b.y+b.height;\n"
    "  chords.forEach(function(c){if(c.classList.contains('off')||c.classList.contains('tout'))"
    "return;var r=c.getBBox();x0=Math.min(x0,r.x);y0=Math.min(y0,r.y);"
    "x1=Math.max(x1,r.x+r.width);y1=Math.max(y1,r.y+r.height);});\n"
    "  vb=(x0-30)+' '+(y0-30)+' '+(x1-x0+60)+' '+(y1-y0+60);}\n"
    " fv.setAttribute('viewBox',vb);fv.setAttribute('data-zoom',gi===null?'':gi);"
    "$('fv-whole').hidden=gi===null;}\n"
    "if(fv){\n"
    " $('fv-metric').addEventListener('change',function(){var m=$('fv-metric').value;"
    "chords.forEach(function(c){c.setAttribute('stroke-width',c.getAttribute('data-'+m));});});\n"
    " document.querySelectorAll('.fv-ns').forEach(function(g){g.querySelector('.ns-arc')"
    ".addEventListener('click',function(){zoom(g.getAttribute('data-g'));});});\n"
    " $('fv-whole').addEventListener('click',function(){zoom(null);});\n"
    " chords.forEach(function(c){c.addEventListener('click',function(){var d=$('d-'+"
    "c.getAttribute('data-e'));chords.forEach(function(x){x.classList.remove('sel');});\n"
    "  c.classList.add('sel');$('fv-info').innerHTML=d?d.innerHTML:'';});});}\n"
    /* Traffic over time: the scope shown, and a range dragged across it
     * filters the chords and the flows table. */
    "var ts=$('ts');\n"
    "if(ts){var nb=+ts.getAttribute('data-nb'),x0=+ts.getAttribute('data-x0'),"
    "tw=+ts.getAttribute('data-w'),sel=$('ts-sel'),drag=null;\n"
    " var t0=+ts.getAttribute('data-t0')/1e6,st=+ts.getAttribute('data-step')/1e6;\n"
    " function clock(b){return new Date(t0+b*st).toISOString().substr(11,8);}\n"
    " function bAt(ev){var p=ts.createSVGPoint();p.x=ev.clientX;p.y=ev.clientY;"
    "var q=p.matrixTransform(ts.getScreenCTM().inverse());"
    "return Math.max(0,Math.min(nb-1,Math.floor((q.x-x0)/tw*nb)));}\n"
    " function "
    "show(a,b){sel.setAttribute('x',x0+a*tw/nb);sel.setAttribute('width',(b-a+1)*tw/nb);}\n"
    " function inR(s,a,b){return s.split(' ').some(function(p){var q=p.split('-');"
    "return q.length===2&&+q[0]<=b&&+q[1]>=a;});}\n"
    " function setRange(r){\n"
    "  if(!r)sel.setAttribute('width',0);\n"
    "  "
    "chords.forEach(function(c){c.classList.toggle('tout',!!r&&!inR(c.getAttribute('data-t'),r[0],"
    "r[1]));});\n"
    "  Array.prototype.forEach.call(tb.rows,function(row){var v=row.getAttribute('data-b');"
    "if(r&&v&&!inR(v.replace(' ','-'),r[0],r[1]))row.setAttribute('data-out','');"
    "else row.removeAttribute('data-out');});\n"
    "  $('ts-range').textContent=r?clock(r[0])+' \\u2013 '+clock(r[1]+1)+' UTC selected':'';\n"
    "  "
    "$('ts-clear').hidden=!r;if(fv&&fv.getAttribute('data-zoom'))zoom(fv.getAttribute('data-zoom'))"
    ";"
    "graphRange(r);apply();}\n"
    " ts.addEventListener('mousedown',function(ev){drag=bAt(ev);show(drag,drag);ev.preventDefault()"
    ";});\n"
    " ts.addEventListener('mousemove',function(ev){if(drag!==null){var b=bAt(ev);"
    "show(Math.min(drag,b),Math.max(drag,b));}});\n"
    " window.addEventListener('mouseup',function(ev){if(drag===null)return;var b=bAt(ev),"
    "a=Math.min(drag,b);b=Math.max(drag,b);drag=null;setRange([a,b]);});\n"
    " $('ts-clear').addEventListener('click',function(){setRange(null);});\n"
    " $('ts-scope').addEventListener('change',function(){var v=$('ts-scope').value;"
    "document.querySelectorAll('.ts-scope').forEach(function(g){"
    "g.setAttribute('display',g.getAttribute('data-scope')===v?'inline':'none');});});}\n"

    "var m=/^#edge-(e[0-9]+)$/.exec(location.hash),mn=/^#node-(n[0-9]+)$/.exec(location.hash);\n"
    "if(m&&$(m[1]))pick(m[1]);else if(mn&&$('d-'+mn[1]))pickNode(mn[1]);else apply();\n"
    "})();\n";

/* ---- summary ------------------------------------------------------------------ */

/* A flow row's class: v-allow, v-deny or v-unknown. */
static const char *row_class(const struct eng_verdict *v)
{
    return v->verdict == VERDICT_ALLOW  ? "v-allow"
           : v->verdict == VERDICT_DENY ? "v-deny"
                                        : "v-unknown";
}

struct sums {
    uint64_t allowed, denied, unk, ok, failed, unknown, explained, unexplained, would_break;
    uint64_t changed, would_fix, newly_denied;
    int64_t first_ns, last_ns;
};

static void summarize(const struct flowset *fs, struct sums *s)
{
    size_t i;

    memset(s, 0, sizeof(*s));
    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];
        enum verdict v = f->v[FS_NEW]->verdict;
        unsigned allow = v == VERDICT_ALLOW, deny = v == VERDICT_DENY;

        s->allowed += allow;
        s->denied += deny;
        s->unk += v == VERDICT_UNKNOWN;
        s->ok += f->obs == OBS_OK;
        s->failed += f->obs == OBS_FAILED;
        s->unknown += f->obs == OBS_UNKNOWN;
        s->explained += f->obs == OBS_FAILED && deny;
        /* A failure the policy in force (--old) explains is not a
         * mystery: the proposal fixing it is counted as would_fix. */
        s->unexplained += f->obs == OBS_FAILED && allow &&
                          (!f->v[FS_OLD] || f->v[FS_OLD]->verdict == VERDICT_ALLOW);
        s->would_break += f->obs == OBS_OK && deny;
        if (f->v[FS_OLD] && f->v[FS_OLD]->verdict != v) {
            s->changed++;
            s->would_fix += allow && f->obs == OBS_FAILED;
            s->newly_denied += deny;
        }
        if (!i || f->first_ns < s->first_ns)
            s->first_ns = f->first_ns;
        if (!i || f->last_ns > s->last_ns)
            s->last_ns = f->last_ns;
    }
}

static void card(struct rw *w, const char *cls, uint64_t n, const char *what)
{
    rw_f(w, "<div class=\"card %s\"><b>%llu</b>%s</div>", cls, (unsigned long long)n, what);
}

static void write_header(struct rw *w, const struct flowset *fs, const struct report_opts *o,
                         const struct sums *s)
{
    size_t i;

    rw_s(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"generator\" content=\"podflow-analyze " PODFLOW_VERSION "\">\n"
            "<title>podflow report: ");
    rw_esc(w, o->case_path);
    rw_s(w, "</title>\n<style>");
    rw_s(w, page_css);
    rw_s(w, page_css2);
    rw_s(w, leftout_css);
    rw_s(w, "</style>\n</head>\n<body>\n<header><h1>podflow report: ");
    rw_esc(w, o->case_path);
    rw_s(w, "</h1><div class=\"meta\">policies ");
    for (i = 0; i < o->npaths; i++) {
        rw_s(w, i ? ", <code>" : "<code>");
        rw_esc(w, o->paths[i]);
        rw_s(w, "</code>");
    }
    if (fs->nsets > 1) {
        rw_s(w, " compared with the policies in force ");
        for (i = 0; i < o->nold; i++) {
            rw_s(w, i ? ", <code>" : "<code>");
            rw_esc(w, o->old_paths[i]);
            rw_s(w, "</code>");
        }
    }
    if (fs->nflows) {
        rw_s(w, "; flows from ");
        rw_time(w, s->first_ns);
        rw_s(w, " to ");
        rw_time(w, s->last_ns);
    }
    if (o->generated_ns) {
        rw_s(w, "; generated ");
        rw_time(w, o->generated_ns);
    }
    rw_s(w, "</div></header>\n");
    if (fs->c.bad.total) {
        /* Rows of the case left out as unusable, before anything else. */
        struct buf t;

        buf_init(&t, 0);
        if (!case_bad_summary(&fs->c, &t)) {
            rw_s(w, "<p class=\"leftout\" id=\"left-out\"><b>warning:</b> ");
            rw_esc(w, t.data);
            rw_s(w, "</p>\n");
        }
        buf_release(&t);
    }
    rw_s(w, "<nav><a href=\"#graph\">Service graph</a><a href=\"#traffic\">Traffic</a><a "
            "href=\"#flows\">Flows</a>"
            "<a href=\"#board\">Policy board</a><a href=\"#ports\">Port coverage</a>"
            "<a href=\"#capture\">Capture coverage</a></nav>\n<main>\n<div class=\"cards\" "
            "id=\"summary\">");
    card(w, "", fs->nflows, "flows recorded");
    if (fs->c.bad.total)
        card(w, "bad", fs->c.bad.total, "rows left out as unusable");
    card(w, "good", s->allowed, "allowed");
    card(w, s->denied ? "bad" : "good", s->denied, "denied");
    card(w, s->unk ? "warn" : "", s->unk, "unknown (no identity, backends differ)");
    card(w, s->explained ? "warn" : "", s->explained, "failed and denied (explained)");
    card(w, s->would_break ? "bad" : "good", s->would_break, "seen working, now denied");
    card(w, s->unexplained ? "warn" : "", s->unexplained, "failed though allowed (not policy)");
    if (fs->nsets > 1) {
        card(w, s->changed ? "warn" : "", s->changed, "verdicts change vs. --old");
        card(w, "good", s->would_fix, "failing flows this fixes");
    }
    rw_s(w, "</div>\n");
}

/* ---- service graph --------------------------------------------------------------- */

static void flow_row_cells(struct rw *w, const struct flowset *fs, const struct flowset_flow *f,
                           int with_old);

static void legend_item(struct rw *w, enum graph_color c, const char *text)
{
    rw_f(w, "<span class=\"lg-%s\"><i style=\"background:%s\"></i>%s</span>", graph_color_name(c),
         graph_color_hex(c), text);
}

/* One drawing of the graph into the page, or what stands in its place. */
static void write_svg(struct rw *w, const struct graph *g, unsigned flags, const char *idp,
                      struct diag *d)
{
    struct buf svg;
    int rc;

    buf_init(&svg, 0);
    rc = graph_svg(g, flags, idp, &svg, d);
    if (rc == ERR_LIMIT)
        rw_f(w,
             "<p class=\"hint\">%zu nodes: more than the %d this page draws; use "
             "<code>podflow-analyze check --format dot</code>.</p>",
             g->nnodes, LIM_GRAPH_NODES);
    else if (rc)
        rw_s(w, "<p class=\"hint\">graphviz could not draw the graph.</p>");
    else
        rw_s(w, svg.data);
    buf_release(&svg);
}

static void write_node_panels(struct rw *w, const struct flowset *fs, const struct graph *g);

struct tv;
static void rw_edge_runs(struct rw *w, const struct flowset *fs, const struct graph_edge *e,
                         const struct tv *t);

static void write_graph(struct rw *w, const struct flowset *fs, const struct graph *g,
                        const struct tv *t, struct diag *d)
{
    size_t i, k, budget = LIM_REPORT_PANEL_FLOWS;
    int ungov = graph_has_ungoverned(g);

    rw_s(w, "<section id=\"graph\"><h2>Service graph</h2>\n<p class=\"legend\">");
    legend_item(w, GC_ALLOW, "allowed");
    legend_item(w, GC_DENY, "denied");
    legend_item(w, GC_UNKNOWN, "unknown");
    legend_item(w, GC_MIXED, "some allowed, some denied");
    if (fs->nsets > 1) {
        legend_item(w, GC_BREAK, "would break (seen working, now denied)");
        legend_item(w, GC_NEWDENY, "newly denied");
        legend_item(w, GC_FIX, "would fix (seen failing, now allowed)");
        legend_item(w, GC_NEWALLOW, "newly allowed");
    }
    rw_s(w, "</p>\n<p class=\"hint\">Namespaces are boxes; pods of one workload are one node; "
            "addresses outside the cluster are grouped by the NetworkSet or GlobalNetworkSet "
            "they are in, else by the CIDR of the rule that decided, else as public or "
            "private. Click a workload for every flow in and out of it, an edge for its "
            "flows.");
    if (ungov)
        rw_s(w, " <label><input type=\"checkbox\" id=\"show-ungoverned\"> show traffic policy "
                "does not govern (ICMPv6 on the link: neighbour discovery; host to "
                "host)</label>");
    rw_s(w, " <label><input type=\"checkbox\" id=\"graph-actual\"> actual size</label></p>\n");
    /* The verdicts' colours, for an edge recoloured under a time range. */
    rw_f(w, "<div id=\"graph-box\" data-c-allow=\"%s\" data-c-deny=\"%s\" data-c-unknown=\"%s\">",
         graph_color_hex(GC_ALLOW), graph_color_hex(GC_DENY), graph_color_hex(GC_UNKNOWN));
    if (!g->nnodes) {
        rw_s(w, "<p class=\"hint\">No flows: nothing to draw.</p>");
    } else if (ungov) {
        rw_s(w, "<div id=\"graph-gov\">");
        write_svg(w, g, GRAPH_DOT_GOVERNED, "", d);
        rw_s(w, "</div><div id=\"graph-all\" hidden>");
        write_svg(w, g, 0, "all_", d);
        rw_s(w, "</div>");
    } else {
        write_svg(w, g, 0, "", d);
    }
    rw_s(w, "</div>\n<div id=\"edge-panel\"><p id=\"edge-none\" class=\"hint\">No edge selected."
            "</p><button id=\"edge-clear\" hidden>Show all flows</button>\n"
            "<p class=\"hint\">Selecting an edge also filters the flows table to it.</p>\n");
    for (i = 0; i < g->nedges; i++) {
        const struct graph_edge *e = &g->edges[i];
        char a[600], b[600];

        graph_node_text(&g->nodes[e->src], a, sizeof(a));
        graph_node_text(&g->nodes[e->dst], b, sizeof(b));
        rw_f(w, "<div class=\"edge-detail\" id=\"d-e%zu\" hidden><h3>", i);
        rw_esc(w, a);
        rw_s(w, " \xe2\x86\x92 ");
        rw_esc(w, b);
        rw_s(w, ": ");
        rw_esc(w, e->label);
        rw_f(w, " <span class=\"tag %s\">%s</span></h3>",
             e->color == GC_ALLOW     ? "t-allow"
             : e->color == GC_DENY    ? "t-deny"
             : e->color == GC_UNKNOWN ? "t-mute"
                                      : "t-warn",
             e->color == GC_ALLOW     ? "allowed"
             : e->color == GC_DENY    ? "denied"
             : e->color == GC_UNKNOWN ? "unknown"
                                      : graph_color_name(e->color));
        /* What a time range selected in the traffic section reads. */
        rw_f(w,
             "<p class=\"edge-sum\" data-e=\"e%zu\" data-s=\"n%zu\" data-d=\"n%zu\" "
             "data-c=\"%s\" data-tb=\"",
             i, e->src, e->dst, graph_color_name(e->color));
        rw_edge_runs(w, fs, e, t);
        rw_f(w, "\">%llu flow%s: %llu allowed, %llu denied, %llu unknown",
             (unsigned long long)e->flows, e->flows == 1 ? "" : "s", (unsigned long long)e->allowed,
             (unsigned long long)e->denied, (unsigned long long)e->unknown);
        if (fs->nsets > 1)
            rw_f(w, ", %llu change verdict vs. --old", (unsigned long long)e->changed);
        rw_s(w, ". <span class=\"in-range\"></span></p><table><thead><tr><th>Verdict</th>"
                "<th>Observed</th><th>Source</th>"
                "<th>Destination</th><th>Port</th><th>State</th><th>Decided by</th>");
        if (fs->nsets > 1)
            rw_s(w, "<th>Under --old</th>");
        rw_s(w, "<th>First seen (UTC)</th></tr></thead><tbody>\n");
        for (k = 0; k < e->nflow_idx && k < LIM_REPORT_EDGE_FLOWS && budget; k++, budget--) {
            const struct flowset_flow *f = &fs->flows[e->flow_idx[k]];

            rw_f(w, "<tr class=\"%s\">", row_class(f->v[FS_NEW]));
            flow_row_cells(w, fs, f, fs->nsets > 1);
            rw_s(w, "</tr>\n");
        }
        rw_s(w, "</tbody></table>");
        if (e->nflow_idx > k)
            rw_f(w, "<p class=\"hint\">and %zu more flows (see the flows table).</p>",
                 e->nflow_idx - k);
        rw_s(w, "</div>\n");
    }
    rw_s(w, "</div></section>\n");
    write_node_panels(w, fs, g);
}

/* A row of a node's side panel: the direction, the verdict, the other
 * end, the port, what the capture saw and what decided it (with --old,
 * how that changes). */
static void node_flow_row(struct rw *w, const struct flowset_flow *f, const char *dir)
{
    const struct eng_verdict *v = f->v[FS_NEW];
    int in = strcmp(dir, "in") == 0;
    const struct case_ep *peer = in ? f->src : f->dst;
    const struct ipaddr *pip = in ? &f->src_ip : &f->dst_ip;
    char id[IPADDR_STRLEN + 300], ip[IPADDR_STRLEN];

    rw_f(w, "<tr class=\"%s\"><td><small>%s</small></td>", row_class(v), dir);
    rw_f(w, "<td><span class=\"tag %s\">%s</span></td>",
         v->verdict == VERDICT_ALLOW  ? "t-allow"
         : v->verdict == VERDICT_DENY ? "t-deny"
                                      : "t-mute",
         verdict_name(v->verdict));
    ident_text(peer, pip, id, sizeof(id));
    rw_s(w, "<td>");
    rw_s(w, in ? "\xe2\x86\x90 " : "\xe2\x86\x92 ");
    rw_esc(w, id);
    rw_f(w, "<br><small>%s</small></td><td>", ipaddr_format(pip, ip));
    rw_proto(w, f->proto);
    rw_f(w, " %u</td><td>%s<br><small>", f->dst_port, observed_name(f->obs));
    rw_esc(w, f->state);
    rw_s(w, "</small></td><td><small>");
    rw_decider(w, v);
    if (f->v[FS_OLD] && f->v[FS_OLD]->verdict != v->verdict) {
        rw_f(w, "<br>under --old: %s by ",
             f->v[FS_OLD]->verdict == VERDICT_ALLOW  ? "allowed"
             : f->v[FS_OLD]->verdict == VERDICT_DENY ? "denied"
                                                     : "unknown");
        rw_decider(w, f->v[FS_OLD]);
    }
    rw_s(w, "</small></td><td class=\"time\"><small>");
    rw_time_short(w, f->first_ns);
    rw_s(w, "</small></td></tr>\n");
}

/* The side panel a click on a node opens: every flow in and out of it
 * (up to LIM_REPORT_NODE_FLOWS each, LIM_REPORT_PANEL_FLOWS in all; the
 * flows table, filtered to the node at the same time, lists the rest). */
static void write_node_panels(struct rw *w, const struct flowset *fs, const struct graph *g)
{
    size_t i, j, k, shown, total, budget = LIM_REPORT_PANEL_FLOWS;

    rw_s(w, "<aside id=\"side\" hidden><button id=\"side-close\" title=\"close\">\xc3\x97"
            "</button>\n");
    for (i = 0; i < g->nnodes && !w->rc; i++) {
        char name[600];

        graph_node_text(&g->nodes[i], name, sizeof(name));
        rw_f(w, "<div class=\"node-detail\" id=\"d-n%zu\" hidden><h3>", i);
        rw_esc(w, name);
        rw_s(w, "</h3><p class=\"hint\">");
        if (g->nodes[i].members_text) {
            rw_esc(w, g->nodes[i].members_text);
            rw_s(w, g->nodes[i].members > 3 ? ", ...; " : "; ");
        }
        shown = total = 0;
        for (j = 0; j < g->nedges; j++)
            if (g->edges[j].src == i || g->edges[j].dst == i)
                total += g->edges[j].nflow_idx;
        rw_f(w, "%zu flow%s in and out. The flows table below is filtered to them.</p>", total,
             total == 1 ? "" : "s");
        /* At a glance: one line per edge in or out, then every flow. */
        rw_s(w, "<table class=\"compact peers\"><thead><tr><th></th><th>Peer</th><th>Ports</th>"
                "<th>Verdict</th><th class=\"num\">Flows</th></tr></thead><tbody>\n");
        for (j = 0; j < g->nedges; j++) {
            const struct graph_edge *e = &g->edges[j];
            char peer[600];

            if (e->src != i && e->dst != i)
                continue;
            graph_node_text(&g->nodes[e->src == i ? e->dst : e->src], peer, sizeof(peer));
            rw_f(w, "<tr><td><small>%s</small></td><td>%s ", e->src == i ? "out" : "in",
                 e->src == i ? "\xe2\x86\x92" : "\xe2\x86\x90");
            rw_esc(w, peer);
            rw_s(w, "</td><td>");
            rw_esc(w, e->label);
            rw_f(w,
                 "</td><td><span class=\"tag\" style=\"color:#fff;background:%s\">%s</span>%s"
                 "</td><td class=\"num peer-n\" data-e=\"e%zu\" data-n=\"%llu\">%llu</td></tr>\n",
                 graph_color_hex(e->color), graph_color_name(e->color),
                 e->governed ? "" : " <small>(not governed)</small>", j,
                 (unsigned long long)e->flows, (unsigned long long)e->flows);
        }
        rw_s(w, "</tbody></table>\n<h4>Every flow</h4>");
        rw_s(w, "<table class=\"compact\"><thead><tr><th></th><th>Verdict</th><th>Peer</th>"
                "<th>Port</th><th>Observed</th><th>Decided by</th><th>First seen (UTC)</th>"
                "</tr></thead><tbody>\n");
        for (j = 0; j < g->nedges; j++) {
            const struct graph_edge *e = &g->edges[j];
            int out = e->src == i;

            if (e->src != i && e->dst != i)
                continue;
            for (k = 0; k < e->nflow_idx && shown < LIM_REPORT_NODE_FLOWS && budget;
                 k++, shown++, budget--)
                node_flow_row(w, &fs->flows[e->flow_idx[k]],
                              out && e->dst == i ? "within"
                              : out              ? "out"
                                                 : "in");
        }
        rw_s(w, "</tbody></table>");
        if (total > shown)
            rw_f(w, "<p class=\"hint\">and %zu more (see the flows table).</p>", total - shown);
        rw_s(w, "</div>\n");
    }
    rw_s(w, "</aside>\n");
}

/* ---- traffic (FlowViz) --------------------------------------------------------------------- */

/*
 * The traffic section: the volumetric view (namespaces on the outer ring,
 * their workloads inside it, the graph's edges as chords coloured by
 * verdict and sized by connections or bytes), the table by namespace, and
 * traffic over time per namespace and for the cluster.  Everything is
 * drawn here as SVG with numbers computed here; the script only shows,
 * hides, zooms (a viewBox) and filters what is already on the page.
 */

struct tv {
    struct series s;
    int has_series;      /* 0: the flows' times make no series (said on the page) */
    int64_t first, last; /* the span: flows and captures */
    size_t *fb0, *fb1;   /* per flow: its first and last bucket */
};

/* The span and the series of the flows (the report's own interval: about
 * 100 buckets), with the captures' coverage. */
static void tv_build(struct tv *t, const struct flowset *fs)
{
    size_t i;
    int has = 0;

    memset(t, 0, sizeof(*t));
    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];
        int64_t last = f->last_ns > f->first_ns ? f->last_ns : f->first_ns;

        if (!has || f->first_ns < t->first)
            t->first = f->first_ns;
        if (!has || last > t->last)
            t->last = last;
        has = 1;
    }
    for (i = 0; i < fs->c.ncaps; i++) {
        const struct case_cap *c = &fs->c.caps[i];

        if (!has || c->started_ns < t->first)
            t->first = c->started_ns;
        if (c->has_end && (!has || c->ended_ns > t->last))
            t->last = c->ended_ns;
        if (!has && !c->has_end)
            t->last = c->started_ns;
        has = 1;
    }
    if (!has || series_init(&t->s, t->first, t->last, series_auto_step(t->first, t->last)))
        return;
    t->has_series = 1;
    t->fb0 = xcalloc(fs->nflows ? fs->nflows : 1, sizeof(*t->fb0));
    t->fb1 = xcalloc(fs->nflows ? fs->nflows : 1, sizeof(*t->fb1));
    for (i = 0; i < fs->nflows && t->has_series; i++) {
        const struct flowset_flow *f = &fs->flows[i];

        t->fb0[i] = series_bucket(&t->s, f->first_ns);
        t->fb1[i] = series_bucket(&t->s, f->last_ns > f->first_ns ? f->last_ns : f->first_ns);
        if (series_add(&t->s, f->src ? f->src->ns : NULL, f->dst ? f->dst->ns : NULL,
                       f->v[FS_NEW]->verdict == VERDICT_DENY      ? SERIES_DENY
                       : f->v[FS_NEW]->verdict == VERDICT_UNKNOWN ? SERIES_UNKNOWN
                                                                  : SERIES_ALLOW,
                       f->first_ns, f->last_ns, f->packets, f->bytes))
            t->has_series = 0; /* too many namespaces for the cells: no time axis */
    }
    for (i = 0; i < fs->c.ncaps; i++)
        series_capture(&t->s, fs->c.caps[i].started_ns,
                       fs->c.caps[i].has_end ? fs->c.caps[i].ended_ns : t->last);
    series_finish(&t->s);
}

static void tv_release(struct tv *t)
{
    series_release(&t->s);
    free(t->fb0);
    free(t->fb1);
}

/* A time as the chart's axis and range say it: "14:32:10" (UTC). */
static void rw_clock(struct rw *w, int64_t ns)
{
    char t[48];

    format_rfc3339(ns, t, sizeof(t));
    if (strlen(t) >= 19) {
        t[19] = 0;
        rw_esc(w, t + 11);
    } else {
        rw_esc(w, t);
    }
}

/* The chord diagram's ring: a group per namespace (by name), then one for
 * what is outside the cluster; in each, its nodes by name. */
struct ring_node {
    size_t node;  /* graph node */
    size_t group; /* index into the groups */
    double a0, a1;
    double weight;     /* flows in and out */
    size_t ends, next; /* chord ends on it, and the next one to place */
};

struct ring_group {
    const char *ns;  /* NULL: outside the cluster */
    size_t first, n; /* its ring_nodes */
    double a0, a1;
    double r; /* where its name goes */
};

static int ring_node_cmp(const void *x, const void *y, const struct graph *g)
{
    const struct graph_node *a = &g->nodes[((const struct ring_node *)x)->node];
    const struct graph_node *b = &g->nodes[((const struct ring_node *)y)->node];
    char ta[600], tb[600];
    int c;

    if (!a->key.ns != !b->key.ns)
        return a->key.ns ? -1 : 1;
    if (a->key.ns && (c = strcmp(a->key.ns, b->key.ns)) != 0)
        return c;
    graph_node_text(a, ta, sizeof(ta));
    graph_node_text(b, tb, sizeof(tb));
    return strcmp(ta, tb);
}

/* An insertion sort: qsort takes no context, and the ring is small
 * (LIM_GRAPH_NODES at most). */
static void ring_sort(struct ring_node *r, size_t n, const struct graph *g)
{
    size_t i, j;

    for (i = 1; i < n; i++) {
        struct ring_node x = r[i];

        for (j = i; j > 0 && ring_node_cmp(&r[j - 1], &x, g) > 0; j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

#define FV_PI    3.14159265358979323846
#define FV_R_NS0 286.0 /* the namespace ring */
#define FV_R_NS1 298.0
#define FV_R_WL0 266.0 /* the workload ring */
#define FV_R_WL1 282.0
#define FV_R_CH  262.0 /* where chords end */
/* Names on the ring: a workload's cut to FV_WL_CHARS characters, a
 * namespace's to FV_NS_CHARS (the whole in their titles), about FV_WL_W
 * and FV_NS_W wide a character (8 px and 13 px bold sans-serif), so that
 * a namespace's name goes beyond its workloads' and the view holds all. */
#define FV_WL_CHARS 24
#define FV_NS_CHARS 24
#define FV_WL_W     4.6
#define FV_NS_W     8.0

/* s cut to at most max characters (code points; a byte that starts none
 * counts as one), "\xe2\x80\xa6" (…) ending what was cut, into b (size
 * bytes, at least 4; max * 4 + 4 holds any cut).  The characters it
 * holds. */
static size_t ring_name(const char *s, size_t max, char *b, size_t size)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + strlen(s);
    size_t n = 0, o = 0;

    while (p < end && n < max) {
        size_t l = utf8_len(p, (size_t)(end - p));

        l = l ? l : 1;
        /* The last character's room is the ellipsis's when more follow;
         * b keeps room for an ellipsis and the NUL. */
        if ((n + 1 == max && p + l < end) || o + l + 4 > size)
            break;
        memcpy(b + o, p, l);
        o += l;
        p += l;
        n++;
    }
    if (p < end && o + 4 <= size) {
        memcpy(b + o, "\xe2\x80\xa6", 3);
        o += 3;
        n++;
    }
    b[o] = 0;
    return n;
}

/* Where a namespace's name goes: beyond its workloads' names. */
static double ring_ns_radius(size_t longest)
{
    return FV_R_NS1 + 4 + FV_WL_W * (double)longest + 12;
}

static void arc_path(struct rw *w, double a0, double a1, double r0, double r1)
{
    int large = a1 - a0 > FV_PI;

    rw_f(w, "M%.1f %.1fA%.1f %.1f 0 %d 1 %.1f %.1fL%.1f %.1fA%.1f %.1f 0 %d 0 %.1f %.1fZ",
         r1 * cos(a0), r1 * sin(a0), r1, r1, large, r1 * cos(a1), r1 * sin(a1), r0 * cos(a1),
         r0 * sin(a1), r0, r0, large, r0 * cos(a0), r0 * sin(a0));
}

/* Bucket ranges of an edge's flows, "3-5 9-9": what a time range filters. */
static void rw_edge_buckets(struct rw *w, const struct graph_edge *e, const struct tv *t)
{
    uint8_t *on = xcalloc(t->s.nb ? t->s.nb : 1, 1);
    size_t i, b, first = 1;

    for (i = 0; i < e->nflow_idx; i++)
        for (b = t->fb0[e->flow_idx[i]]; b <= t->fb1[e->flow_idx[i]] && b < t->s.nb; b++)
            on[b] = 1;
    for (b = 0; b < t->s.nb; b++) {
        size_t c = b;

        if (!on[b])
            continue;
        while (c + 1 < t->s.nb && on[c + 1])
            c++;
        rw_f(w, "%s%zu-%zu", first ? "" : " ", b, c);
        first = 0;
        b = c;
    }
    free(on);
}

/* An edge's flows by the buckets they overlap, for the graph under a time
 * range: "b0-b1:allowed,denied,unknown" per run of flows over the same
 * buckets, space-separated, by b0 then b1 (nothing without a series). */
struct brun {
    size_t b0, b1;
    int v; /* SERIES_ALLOW, _DENY, _UNKNOWN */
};

static int brun_cmp(const void *x, const void *y)
{
    const struct brun *a = x, *b = y;

    if (a->b0 != b->b0)
        return a->b0 < b->b0 ? -1 : 1;
    return (a->b1 > b->b1) - (a->b1 < b->b1);
}

static void rw_edge_runs(struct rw *w, const struct flowset *fs, const struct graph_edge *e,
                         const struct tv *t)
{
    struct brun *r;
    size_t i, j;

    if (!t->has_series || !e->nflow_idx)
        return;
    r = xcalloc(e->nflow_idx, sizeof(*r));
    for (i = 0; i < e->nflow_idx; i++) {
        enum verdict v = fs->flows[e->flow_idx[i]].v[FS_NEW]->verdict;

        r[i].b0 = t->fb0[e->flow_idx[i]];
        r[i].b1 = t->fb1[e->flow_idx[i]];
        r[i].v = v == VERDICT_DENY      ? SERIES_DENY
                 : v == VERDICT_UNKNOWN ? SERIES_UNKNOWN
                                        : SERIES_ALLOW;
    }
    qsort(r, e->nflow_idx, sizeof(*r), brun_cmp);
    for (i = 0; i < e->nflow_idx; i = j) {
        uint64_t n[SERIES_NV] = {0};

        for (j = i; j < e->nflow_idx && r[j].b0 == r[i].b0 && r[j].b1 == r[i].b1; j++)
            n[r[j].v]++;
        rw_f(w, "%s%zu-%zu:%llu,%llu,%llu", i ? " " : "", r[i].b0, r[i].b1,
             (unsigned long long)n[SERIES_ALLOW], (unsigned long long)n[SERIES_DENY],
             (unsigned long long)n[SERIES_UNKNOWN]);
    }
    free(r);
}

static void write_chords(struct rw *w, const struct flowset *fs, const struct graph *g,
                         const struct tv *t)
{
    struct ring_node *rn = xcalloc(g->nnodes ? g->nnodes : 1, sizeof(*rn));
    struct ring_group *gr = xcalloc(g->nnodes ? g->nnodes : 1, sizeof(*gr));
    size_t *pos = xcalloc(g->nnodes ? g->nnodes : 1, sizeof(*pos));
    double *wc = xcalloc(g->nedges ? g->nedges : 1, sizeof(*wc));
    double *wb = xcalloc(g->nedges ? g->nedges : 1, sizeof(*wb));
    double total = 0, maxc = 0, maxb = 0, gap = 0.035, avail, a, hw = 460, hh = 400;
    size_t i, k, ngr = 0;

    for (i = 0; i < g->nnodes; i++)
        rn[i].node = i;
    ring_sort(rn, g->nnodes, g);
    for (i = 0; i < g->nnodes; i++)
        pos[rn[i].node] = i;
    for (i = 0; i < g->nedges; i++) {
        const struct graph_edge *e = &g->edges[i];

        for (k = 0; k < e->nflow_idx; k++)
            wb[i] +=
                (double)(fs->flows[e->flow_idx[k]].bytes > 0 ? fs->flows[e->flow_idx[k]].bytes : 0);
        wc[i] = (double)e->flows;
        maxc = wc[i] > maxc ? wc[i] : maxc;
        maxb = wb[i] > maxb ? wb[i] : maxb;
        rn[pos[e->src]].weight += wc[i];
        rn[pos[e->dst]].weight += wc[i];
        rn[pos[e->src]].ends++;
        rn[pos[e->dst]].ends++;
    }
    /* Groups, and the angles: each node its share of the flows, but never
     * less than a sliver, so that a quiet workload can still be clicked. */
    for (i = 0; i < g->nnodes; i++) {
        const char *ns = g->nodes[rn[i].node].key.ns;

        if (!ngr || !gr[ngr - 1].ns != !ns || (ns && strcmp(gr[ngr - 1].ns, ns) != 0)) {
            gr[ngr].ns = ns;
            gr[ngr].first = i;
            ngr++;
        }
        gr[ngr - 1].n++;
        rn[i].group = ngr - 1;
        total += rn[i].weight;
    }
    avail = 2 * FV_PI - gap * (double)ngr;
    {
        double minw = total * 0.006, sum = 0;

        for (i = 0; i < g->nnodes; i++) {
            rn[i].weight = rn[i].weight < minw ? minw : rn[i].weight;
            sum += rn[i].weight;
        }
        a = -FV_PI / 2;
        for (k = 0; k < ngr; k++) {
            gr[k].a0 = a;
            for (i = gr[k].first; i < gr[k].first + gr[k].n; i++) {
                rn[i].a0 = a;
                a += sum > 0 ? avail * rn[i].weight / sum : avail / (double)g->nnodes;
                rn[i].a1 = a;
            }
            gr[k].a1 = a;
            a += gap;
        }
    }
    /* The view: at least 920 by 800 round the centre, more when the
     * names reach further; drawn 760 px wide for 920, wider as the view
     * grows up to 860 px (beside it, the chord's flows keep 320 px at a
     * 1400 px window). */
    for (k = 0; k < ngr; k++) {
        char cut[FV_NS_CHARS * 4 + 8], name[600];
        double mid = (gr[k].a0 + gr[k].a1) / 2, r, tw;
        size_t longest = 0, c;

        for (i = gr[k].first; i < gr[k].first + gr[k].n; i++) {
            const struct graph_node *n = &g->nodes[rn[i].node];
            double m = (rn[i].a0 + rn[i].a1) / 2;

            graph_node_text(n, name, sizeof(name));
            c = ring_name(n->key.ns ? n->key.name : name, FV_WL_CHARS, cut, sizeof(cut));
            longest = c > longest ? c : longest;
            r = FV_R_NS1 + 4 + FV_WL_W * (double)c;
            hw = fmax(hw, r * fabs(cos(m)) + 10);
            hh = fmax(hh, r * fabs(sin(m)) + 10);
        }
        gr[k].r = r = ring_ns_radius(longest);
        tw = FV_NS_W * (double)ring_name(gr[k].ns ? gr[k].ns : "outside the cluster", FV_NS_CHARS,
                                         cut, sizeof(cut));
        hw = fmax(hw, r * fabs(cos(mid)) + (fabs(cos(mid)) > 0.2 ? tw : tw / 2) + 10);
        hh = fmax(hh, r * fabs(sin(mid)) + 20);
    }
    rw_f(w,
         "<svg id=\"fv-chord\" viewBox=\"%.0f %.0f %.0f %.0f\" data-vb=\"%.0f %.0f %.0f %.0f\" "
         "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"traffic between "
         "namespaces and workloads\">\n<g id=\"fv-chords\">\n",
         -hw, -hh, 2 * hw, 2 * hh, -hw, -hh, 2 * hw, 2 * hh, fmin(860, 760 * hw / 460),
         fmin(860, 760 * hw / 460) * hh / hw);
    /* Chords first, under the rings; each end at the next slot of its node. */
    for (i = 0; i < g->nedges; i++) {
        const struct graph_edge *e = &g->edges[i];
        struct ring_node *s = &rn[pos[e->src]], *d = &rn[pos[e->dst]];
        double as = s->a0 + (s->a1 - s->a0) * ((double)s->next++ + 0.5) / (double)s->ends;
        double ad = d->a0 + (d->a1 - d->a0) * ((double)d->next++ + 0.5) / (double)d->ends;
        double lc = 1 + 13 * sqrt(maxc > 0 ? wc[i] / maxc : 0);
        double lb = 1 + 13 * sqrt(maxb > 0 ? wb[i] / maxb : 0);
        char na[600], nb[600];

        graph_node_text(&g->nodes[e->src], na, sizeof(na));
        graph_node_text(&g->nodes[e->dst], nb, sizeof(nb));
        rw_f(w,
             "<path class=\"chord%s\" id=\"c-e%zu\" data-e=\"e%zu\" data-g=\"%zu %zu\" "
             "data-wc=\"%.1f\" data-wb=\"%.1f\" data-t=\"",
             e->governed ? "" : " ungoverned", i, i, s->group, d->group, lc, lb);
        if (t->has_series)
            rw_edge_buckets(w, e, t);
        rw_f(w,
             "\" stroke=\"%s\" stroke-width=\"%.1f\" d=\"M%.1f %.1fQ%.1f %.1f %.1f %.1f\">"
             "<title>",
             graph_color_hex(e->color), lc, FV_R_CH * cos(as), FV_R_CH * sin(as),
             e->src == e->dst ? FV_R_CH * 0.6 * cos(as) : 0.0,
             e->src == e->dst ? FV_R_CH * 0.6 * sin(as) : 0.0, FV_R_CH * cos(ad),
             FV_R_CH * sin(ad));
        rw_esc(w, na);
        rw_s(w, " \xe2\x86\x92 ");
        rw_esc(w, nb);
        rw_f(w, ": %s, %llu flows, %.0f bytes (%s)</title></path>\n", e->label,
             (unsigned long long)e->flows, wb[i], graph_color_name(e->color));
    }
    rw_s(w, "</g>\n");
    for (k = 0; k < ngr; k++) {
        double mid = (gr[k].a0 + gr[k].a1) / 2;
        char cut[FV_NS_CHARS * 4 + 8];

        rw_f(w, "<g class=\"fv-ns\" id=\"fv-g%zu\" data-g=\"%zu\"><path class=\"ns-arc\" d=\"", k,
             k);
        arc_path(w, gr[k].a0, gr[k].a1, FV_R_NS0, FV_R_NS1);
        rw_s(w, "\"><title>");
        rw_esc(w, gr[k].ns ? gr[k].ns : "outside the cluster");
        rw_s(w, " (click to zoom)</title></path>");
        rw_f(w, "<text class=\"ns-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">",
             gr[k].r * cos(mid), gr[k].r * sin(mid) + 4,
             cos(mid) > 0.2    ? "start"
             : cos(mid) < -0.2 ? "end"
                               : "middle");
        ring_name(gr[k].ns ? gr[k].ns : "outside the cluster", FV_NS_CHARS, cut, sizeof(cut));
        rw_esc(w, cut);
        rw_s(w, "</text>\n");
        for (i = gr[k].first; i < gr[k].first + gr[k].n; i++) {
            const struct graph_node *n = &g->nodes[rn[i].node];
            double m = (rn[i].a0 + rn[i].a1) / 2, deg = m * 180 / FV_PI;
            int left = cos(m) < 0;
            char name[600];

            graph_node_text(n, name, sizeof(name));
            rw_f(w, "<path class=\"wl-arc\" data-n=\"n%zu\" d=\"", rn[i].node);
            arc_path(w, rn[i].a0, rn[i].a1, FV_R_WL0, FV_R_WL1);
            rw_s(w, "\"><title>");
            rw_esc(w, name);
            rw_s(w, "</title></path>");
            /* Radial names, flipped on the left half to read left to right. */
            rw_f(w,
                 "<text class=\"wl-label\" transform=\"rotate(%.2f) translate(%.1f 0)%s\" "
                 "text-anchor=\"%s\" dy=\"3\">",
                 deg, FV_R_NS1 + 4, left ? " rotate(180)" : "", left ? "end" : "start");
            ring_name(n->key.ns ? n->key.name : name, FV_WL_CHARS, cut, sizeof(cut));
            rw_esc(w, cut);
            rw_s(w, "</text>");
        }
        rw_s(w, "</g>\n");
    }
    rw_s(w, "</svg>\n");
    free(rn);
    free(gr);
    free(pos);
    free(wc);
    free(wb);
}

static void rw_rate(struct rw *w, double v)
{
    if (v >= 1e9)
        rw_f(w, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        rw_f(w, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        rw_f(w, "%.2fk", v / 1e3);
    else
        rw_f(w, "%.3g", v);
}

/* One row of the table by namespace: the totals of a scope over the span. */
static void ns_row(struct rw *w, const struct series *s, size_t scope, double sec)
{
    struct series_cell c[SERIES_NV]; /* allowed, denied, unknown (§11) */
    int v;

    series_total(s, scope, c);
    rw_s(w, scope ? "<tr><td>" : "<tr class=\"total\"><td><b>cluster</b>");
    if (scope)
        rw_esc(w, s->ns[scope - 1]);
    rw_s(w, "</td>");
    for (v = 0; v < SERIES_NV; v++)
        rw_f(w, "<td class=\"num\">%llu</td>", (unsigned long long)c[v].conns);
    for (v = 0; v < SERIES_NV; v++)
        rw_f(w, "<td class=\"num\">%llu</td>", (unsigned long long)c[v].packets);
    for (v = 0; v < SERIES_NV; v++) {
        rw_s(w, "<td class=\"num\">");
        rw_rate(w, (double)c[v].conns / sec);
        rw_s(w, "</td>");
    }
    for (v = 0; v < SERIES_NV; v++) {
        rw_s(w, "<td class=\"num\">");
        rw_rate(w, (double)c[v].packets / sec);
        rw_s(w, "</td>");
    }
    for (v = 0; v < SERIES_NV; v++) {
        rw_s(w, "<td class=\"num\">");
        rw_rate(w, (double)c[v].bytes * 8 / sec);
        rw_s(w, "</td>");
    }
    rw_s(w, "</tr>\n");
}

#define TS_X0 56.0 /* the chart's plot area */
#define TS_W  1040.0
#define TS_H  150.0
#define TS_Y0 16.0

/* The captures' drop counters, marked where each capture ended. */
static void write_drop_marks(struct rw *w, const struct flowset *fs, const struct tv *t)
{
    static const char q[] = "SELECT id, node, started_ns, ended_ns, packets_dropped, "
                            "packets_if_dropped FROM captures ORDER BY id";
    sqlite3_stmt *st = NULL;
    double span = (double)t->s.step * (double)t->s.nb;

    if (sqlite3_prepare_v2(fs->c.db, q, -1, &st, NULL) != SQLITE_OK)
        return; /* write_capture() reports a case it cannot read */
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t kd = sqlite3_column_int64(st, 4), id = sqlite3_column_int64(st, 5);
        int64_t at =
            sqlite3_column_type(st, 3) == SQLITE_INTEGER ? sqlite3_column_int64(st, 3) : t->last;
        double x = TS_X0 + TS_W * ((double)(at - t->s.t0) / span);

        if (kd <= 0 && id <= 0)
            continue;
        x = x < TS_X0 ? TS_X0 : x > TS_X0 + TS_W ? TS_X0 + TS_W : x;
        rw_f(w,
             "<g class=\"drops\"><path d=\"M%.1f %.1fl-6 -10h12z\" fill=\"#d0312d\"/>"
             "<title>capture %lld (",
             x, TS_Y0 + TS_H + 30, (long long)sqlite3_column_int64(st, 0));
        rw_esc(w, (const char *)sqlite3_column_text(st, 1));
        rw_f(w,
             "): %lld packets dropped by the kernel, %lld by the interface, over its run "
             "(counted at its end)</title></g>",
             (long long)(kd > 0 ? kd : 0), (long long)(id > 0 ? id : 0));
    }
    sqlite3_finalize(st);
}

/* Traffic over time: per scope, connections started per bucket stacked by
 * verdict; under the axis, the captures' coverage and drop marks. */
static void write_timeline(struct rw *w, const struct flowset *fs, const struct tv *t)
{
    const struct series *s = &t->s;
    double bw = TS_W / (double)s->nb;
    size_t sc, b, tick = s->nb > 12 ? (s->nb + 11) / 12 : 1;

    rw_s(w, "<div class=\"filters\">Traffic over time for <select id=\"ts-scope\">"
            "<option value=\"0\">the cluster</option>");
    for (sc = 0; sc < s->nns; sc++) {
        rw_f(w, "<option value=\"%zu\">namespace ", s->order[sc]);
        rw_esc(w, s->ns[s->order[sc] - 1]);
        rw_s(w, "</option>");
    }
    rw_f(w,
         "</select> <span class=\"hint\" id=\"ts-legend\">connections started per %.0f s, "
         "allowed <i class=\"sw\" style=\"background:%s\"></i>, denied "
         "<i class=\"sw\" style=\"background:%s\"></i> and unknown "
         "<i class=\"sw\" style=\"background:%s\"></i>; grey under the axis: a capture "
         "was running; \xe2\x96\xbc: drop counters. Drag across the chart to select a time "
         "range.</span> <span id=\"ts-range\" class=\"hint\"></span> "
         "<button id=\"ts-clear\" hidden>All times</button></div>\n",
         (double)s->step / 1e9, graph_color_hex(GC_ALLOW), graph_color_hex(GC_DENY),
         graph_color_hex(GC_UNKNOWN));
    rw_f(w,
         "<svg id=\"ts\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" data-t0=\"%lld\" "
         "data-step=\"%lld\" data-nb=\"%zu\" data-x0=\"%.0f\" data-w=\"%.0f\">\n",
         TS_X0 + TS_W + 10, TS_Y0 + TS_H + 44, (long long)s->t0, (long long)s->step, s->nb, TS_X0,
         TS_W);
    for (sc = 0; sc <= s->nns; sc++) {
        size_t scope = sc ? s->order[sc - 1] : 0;
        uint64_t max = 1;

        for (b = 0; b < s->nb; b++) {
            uint64_t h = series_cell(s, scope, b, SERIES_ALLOW)->conns +
                         series_cell(s, scope, b, SERIES_DENY)->conns +
                         series_cell(s, scope, b, SERIES_UNKNOWN)->conns;

            max = h > max ? h : max;
        }
        rw_f(w, "<g class=\"ts-scope\" data-scope=\"%zu\"%s>", scope,
             scope ? " display=\"none\"" : "");
        rw_f(w, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" class=\"ax\">%llu</text>",
             TS_X0 - 4, TS_Y0 + 8, (unsigned long long)max);
        for (b = 0; b < s->nb; b++) {
            const struct series_cell *al = series_cell(s, scope, b, SERIES_ALLOW);
            const struct series_cell *dn = series_cell(s, scope, b, SERIES_DENY);
            const struct series_cell *un = series_cell(s, scope, b, SERIES_UNKNOWN);
            double ha = TS_H * (double)al->conns / (double)max;
            double hd = TS_H * (double)dn->conns / (double)max;
            double hu = TS_H * (double)un->conns / (double)max;
            double x = TS_X0 + bw * (double)b;

            if (!al->conns && !dn->conns && !un->conns)
                continue;
            rw_f(w, "<g><title>");
            rw_clock(w, s->t0 + (int64_t)b * s->step);
            rw_f(w,
                 ": %llu allowed, %llu denied, %llu unknown connections; %llu + %llu + %llu "
                 "packets, %llu + %llu + %llu bytes</title>",
                 (unsigned long long)al->conns, (unsigned long long)dn->conns,
                 (unsigned long long)un->conns, (unsigned long long)al->packets,
                 (unsigned long long)dn->packets, (unsigned long long)un->packets,
                 (unsigned long long)al->bytes, (unsigned long long)dn->bytes,
                 (unsigned long long)un->bytes);
            if (al->conns)
                rw_f(w,
                     "<rect class=\"ts-a\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                     x, TS_Y0 + TS_H - ha, bw * 0.9, ha);
            if (dn->conns)
                rw_f(w,
                     "<rect class=\"ts-d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                     x, TS_Y0 + TS_H - ha - hd, bw * 0.9, hd);
            /* Unknown (§11) on top, in the graph's grey. */
            if (un->conns)
                rw_f(w,
                     "<rect class=\"ts-u\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                     x, TS_Y0 + TS_H - ha - hd - hu, bw * 0.9, hu);
            rw_s(w, "</g>");
        }
        rw_s(w, "</g>\n");
    }
    /* The axis, its ticks, the coverage strip, the drop marks. */
    rw_f(w, "<path d=\"M%.0f %.0fH%.0f\" stroke=\"#5b6b7f\"/>", TS_X0, TS_Y0 + TS_H, TS_X0 + TS_W);
    for (b = 0; b < s->nb; b += tick) {
        double x = TS_X0 + bw * (double)b;

        rw_f(w, "<text class=\"ax\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">", x,
             TS_Y0 + TS_H + 12);
        rw_clock(w, s->t0 + (int64_t)b * s->step);
        rw_s(w, "</text>");
    }
    for (b = 0; b < s->nb; b++) {
        double cov = (double)s->covered[b] / (double)s->step;

        rw_f(w,
             "<rect class=\"cov\" x=\"%.1f\" y=\"%.0f\" width=\"%.2f\" height=\"5\" "
             "fill-opacity=\"%.2f\"><title>",
             TS_X0 + bw * (double)b, TS_Y0 + TS_H + 16, bw, 0.15 + 0.6 * cov);
        rw_clock(w, s->t0 + (int64_t)b * s->step);
        rw_f(w, ": a capture ran %.0f%% of this interval</title></rect>", cov * 100);
    }
    write_drop_marks(w, fs, t);
    rw_f(w,
         "<rect id=\"ts-sel\" x=\"0\" y=\"%.0f\" width=\"0\" height=\"%.0f\"/>"
         "<rect id=\"ts-hit\" x=\"%.0f\" y=\"0\" width=\"%.0f\" height=\"%.0f\"/>",
         TS_Y0, TS_H, TS_X0, TS_W, TS_Y0 + TS_H + 44);
    rw_s(w, "</svg>\n");
}

static void write_traffic(struct rw *w, const struct flowset *fs, const struct graph *g,
                          const struct tv *t)
{
    double sec = (double)(t->last - t->first) / 1e9;
    size_t i;

    rw_s(w, "<section id=\"traffic\"><h2>Traffic</h2>\n");
    if (!fs->nflows) {
        rw_s(w, "<p class=\"hint\">No flows.</p></section>\n");
        return;
    }
    rw_s(w, "<p class=\"hint\">Namespaces on the outer ring, their workloads inside it, "
            "what is outside the cluster as one more; chords are the service graph's edges, "
            "coloured as there and as wide as their ");
    rw_s(w, "<select id=\"fv-metric\"><option value=\"wc\">connections</option>"
            "<option value=\"wb\">bytes</option></select>. Click a namespace to zoom into it, "
            "a chord for its flows and what decided them. "
            "<button id=\"fv-whole\" hidden>Whole cluster</button></p>\n"
            "<div class=\"fv\"><div id=\"fv-box\">");
    if (g->nnodes && g->nnodes <= LIM_GRAPH_NODES)
        write_chords(w, fs, g, t);
    else
        rw_s(w, "<p class=\"hint\">Too many nodes to draw.</p>");
    rw_s(w, "</div><div id=\"fv-info\"><p class=\"hint\">No chord selected.</p></div></div>\n");
    /* The table by namespace, rates over the case's span. */
    if (sec < 1)
        sec = 1;
    rw_s(w, "<h3>By namespace</h3><p class=\"hint\">A flow counts in the namespace of each of "
            "its ends. Rates are over the case's span, ");
    rw_time(w, t->first);
    rw_s(w, " to ");
    rw_time(w, t->last);
    rw_f(w, " (%.0f s).</p>\n", sec);
    if (t->has_series) {
        rw_s(w, "<table id=\"ns-table\"><thead><tr><th rowspan=\"2\">Namespace</th>"
                "<th colspan=\"3\" class=\"num\">Connections</th><th colspan=\"3\" "
                "class=\"num\">Packets</th><th colspan=\"3\" class=\"num\">CPS</th>"
                "<th colspan=\"3\" class=\"num\">PPS</th><th colspan=\"3\" class=\"num\">BPS</th>"
                "</tr><tr>");
        for (i = 0; i < 5; i++)
            rw_s(w, "<th class=\"num\">allowed</th><th class=\"num\">denied</th>"
                    "<th class=\"num\">unknown</th>");
        rw_s(w, "</tr></thead><tbody>\n");
        ns_row(w, &t->s, 0, sec);
        for (i = 0; i < t->s.nns; i++)
            ns_row(w, &t->s, t->s.order[i], sec);
        rw_s(w, "</tbody></table>\n<h3>Over time</h3>\n");
        write_timeline(w, fs, t);
    } else {
        rw_s(w, "<p class=\"hint\">The flows' times make no time series (too many namespaces "
                "for the page's buckets); <code>podflow-analyze check --interval</code> writes "
                "one.</p>");
    }
    rw_s(w, "</section>\n");
}

/* ---- flows table ----------------------------------------------------------------- */

/* The tag class of a verdict. */
static const char *verdict_tag(const struct eng_verdict *v)
{
    return v->verdict == VERDICT_ALLOW  ? "t-allow"
           : v->verdict == VERDICT_DENY ? "t-deny"
                                        : "t-mute";
}

/* (format 3) The process at a flow's end, under its address: "curl (pid
 * 4242)"; nothing when unknown. */
static void rw_proc(struct rw *w, const struct case_proc *p)
{
    char t[160];

    out_proc_text(p, t, sizeof(t));
    if (!t[0])
        return;
    rw_s(w, "<br><small class=\"proc\">");
    rw_esc(w, t);
    rw_s(w, "</small>");
}

static void flow_row_cells(struct rw *w, const struct flowset *fs, const struct flowset_flow *f,
                           int with_old)
{
    char id[IPADDR_STRLEN + 300], ip[IPADDR_STRLEN];
    const struct eng_verdict *v = f->v[FS_NEW];
    const char *agr = agreement_name(f->obs, v->verdict);

    /* With --old the capture saw the old policy at work: a flip is what
     * diff calls it. */
    if (f->v[FS_OLD] && f->v[FS_OLD]->verdict != v->verdict)
        agr = v->verdict == VERDICT_UNKNOWN ? "newly-unknown"
              : v->verdict == VERDICT_ALLOW ? (f->obs == OBS_FAILED ? "would-fix" : "newly-allowed")
                                            : (f->obs == OBS_OK ? "would-break" : "newly-denied");

    (void)fs;
    /* The sort key puts denied first, then unknown, then allowed. */
    rw_f(w, "<td data-k=\"%d\"><span class=\"tag %s\">%s</span></td>",
         v->verdict == VERDICT_DENY      ? 0
         : v->verdict == VERDICT_UNKNOWN ? 1
                                         : 2,
         verdict_tag(v), verdict_name(v->verdict));
    rw_f(w, "<td>%s<br><small>%s</small></td>", observed_name(f->obs), agr);
    ident_text(f->src, &f->src_ip, id, sizeof(id));
    rw_s(w, "<td title=\"");
    rw_labels(w, f->src);
    rw_s(w, "\">");
    rw_esc(w, id);
    rw_f(w, "<br><small>%s:%u</small>", ipaddr_format(&f->src_ip, ip), f->src_port);
    rw_proc(w, f->src_proc);
    rw_s(w, "</td>");
    ident_text(f->dst, &f->dst_ip, id, sizeof(id));
    rw_s(w, "<td title=\"");
    rw_labels(w, f->dst);
    rw_s(w, "\">");
    rw_esc(w, id);
    rw_f(w, "<br><small>%s</small>", ipaddr_format(&f->dst_ip, ip));
    rw_proc(w, f->dst_proc);
    rw_s(w, "</td>");
    rw_f(w, "<td class=\"time\" data-k=\"%u\">", f->dst_port);
    rw_proto(w, f->proto);
    rw_f(w, " %u</td><td>", f->dst_port);
    rw_esc(w, f->state);
    rw_s(w, "</td><td>");
    rw_decider(w, v);
    rw_s(w, "</td>");
    if (with_old) {
        const struct eng_verdict *o = f->v[FS_OLD];

        rw_f(w, "<td><span class=\"tag %s\">%s</span> <small>", verdict_tag(o),
             verdict_name(o->verdict));
        rw_decider(w, o);
        rw_s(w, "</small></td>");
    }
    rw_f(w, "<td class=\"time\" data-k=\"%lld\"><small>", (long long)f->first_ns);
    rw_time_short(w, f->first_ns);
    rw_s(w, "</small></td>");
}

/* The flows table's order: denied first (as check's table), then flows
 * whose verdict changes vs. --old, then by time. */
struct forder {
    int rank; /* denied 0, unknown 1, allowed 2 */
    int same; /* 1 unless the verdict changes vs. --old */
    int64_t first_ns, id;
    size_t idx;
};

static int forder_cmp(const void *x, const void *y)
{
    const struct forder *a = x, *b = y;

    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if (a->same != b->same)
        return a->same ? 1 : -1;
    if (a->first_ns != b->first_ns)
        return a->first_ns < b->first_ns ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static void write_flows(struct rw *w, const struct flowset *fs, const struct graph *g,
                        const struct tv *t)
{
    size_t i, n = fs->nflows < LIM_REPORT_FLOWS ? fs->nflows : LIM_REPORT_FLOWS;
    struct forder *order;

    order = xcalloc(fs->nflows ? fs->nflows : 1, sizeof(*order));
    for (i = 0; i < fs->nflows; i++) {
        enum verdict v = fs->flows[i].v[FS_NEW]->verdict;

        order[i].rank = v == VERDICT_DENY ? 0 : v == VERDICT_UNKNOWN ? 1 : 2;
        order[i].same = !fs->flows[i].v[FS_OLD] || fs->flows[i].v[FS_OLD]->verdict == v;
        order[i].first_ns = fs->flows[i].first_ns;
        order[i].id = fs->flows[i].id;
        order[i].idx = i;
    }
    if (fs->nflows)
        qsort(order, fs->nflows, sizeof(*order), forder_cmp);
    rw_s(w, "<section id=\"flows\"><h2>Flows</h2>\n<div class=\"filters\">"
            "<input id=\"flow-filter\" type=\"search\" placeholder=\"filter: name, address, "
            "port, policy...\"> <select id=\"verdict-filter\"><option value=\"\">all verdicts"
            "</option><option value=\"deny\">denied</option><option value=\"allow\">allowed"
            "</option><option value=\"unknown\">unknown</option></select> "
            "<span id=\"flow-count\" class=\"hint\"></span></div>\n"
            "<table id=\"flows-table\"><thead><tr><th class=\"sort\">Verdict</th>"
            "<th class=\"sort\">Observed</th><th class=\"sort\">Source</th>"
            "<th class=\"sort\">Destination</th><th class=\"sort\">Port</th>"
            "<th class=\"sort\">State</th><th class=\"sort\">Decided by</th>");
    if (fs->nsets > 1)
        rw_s(w, "<th class=\"sort\">Under --old</th>");
    rw_s(w, "<th class=\"sort\">First seen (UTC)</th></tr></thead>\n<tbody>\n");
    for (i = 0; i < n && !w->rc; i++) {
        const struct flowset_flow *f = &fs->flows[order[i].idx];

        rw_f(w, "<tr class=\"%s\" data-edge=\"e%zu\" data-n=\"n%zu n%zu\"", row_class(f->v[FS_NEW]),
             g->flow_edge[order[i].idx], g->edges[g->flow_edge[order[i].idx]].src,
             g->edges[g->flow_edge[order[i].idx]].dst);
        if (t->has_series)
            rw_f(w, " data-b=\"%zu %zu\"", t->fb0[order[i].idx], t->fb1[order[i].idx]);
        rw_s(w, ">");
        flow_row_cells(w, fs, f, fs->nsets > 1);
        rw_s(w, "</tr>\n");
    }
    rw_s(w, "</tbody></table>\n");
    if (fs->nflows > n)
        rw_f(w,
             "<p class=\"hint\">%zu more flows (allowed ones) are left out of this page; "
             "<code>podflow-analyze check</code> lists them all.</p>",
             fs->nflows - n);
    rw_s(w, "</section>\n");
    free(order);
}

/* ---- policy board and port coverage ------------------------------------------------ */

struct rcount {
    uint64_t allowed, denied, passed;
};

/* Per policy: counts per rule in each direction, at its end of tier, and
 * what it would deny if staged. */
struct pcount {
    struct rcount *in, *eg; /* per rule (malloc'd) */
    struct rcount eot;      /* end of tier / tier default attributed to it */
    uint64_t would_deny;
    uint8_t **ports_in, **ports_eg; /* per rule with a port range: bitmap of ports used */
};

struct board {
    const struct policy_set *ps;
    struct pcount *pc;      /* per ps->policies index */
    struct rcount profile;  /* profiles (no policy, passed through) */
    struct rcount failsafe; /* host endpoints' failsafe ports (§17.5) */
};

static long pol_index(const struct policy_set *ps, const struct policy *p)
{
    if (!p || p < ps->policies || p >= ps->policies + ps->npolicies)
        return -1;
    return (long)(p - ps->policies);
}

static int rule_has_range(const struct rule *r)
{
    size_t i;

    if (r->action != ACT_ALLOW)
        return 0;
    for (i = 0; i < r->dst.nports; i++)
        if (!r->dst.ports[i].name && r->dst.ports[i].hi > r->dst.ports[i].lo)
            return 1;
    return 0;
}

static void count_step(struct board *b, const struct eng_step *s, int dir,
                       const struct flowset_flow *f)
{
    long pi = pol_index(b->ps, s->pol);
    struct rcount *c;
    const struct policy *p;

    if (s->failsafe) {
        c = &b->failsafe;
    } else if (pi < 0) {
        c = &b->profile;
    } else {
        p = &b->ps->policies[pi];
        if (s->rule < 0)
            c = &b->pc[pi].eot;
        else if (dir == DIR_INGRESS && (size_t)s->rule < p->ningress)
            c = &b->pc[pi].in[s->rule];
        else if (dir == DIR_EGRESS && (size_t)s->rule < p->negress)
            c = &b->pc[pi].eg[s->rule];
        else
            return;
        if (s->rule >= 0 && s->action == ACT_ALLOW) {
            uint8_t **bm =
                dir == DIR_INGRESS ? &b->pc[pi].ports_in[s->rule] : &b->pc[pi].ports_eg[s->rule];
            const struct rule *r = dir == DIR_INGRESS ? &p->ingress[s->rule] : &p->egress[s->rule];

            if (rule_has_range(r)) {
                if (!*bm)
                    *bm = xcalloc(65536 / 8, 1);
                (*bm)[f->dst_port / 8] |= (uint8_t)(1u << (f->dst_port % 8));
            }
        }
    }
    if (s->action == ACT_ALLOW)
        c->allowed++;
    else if (s->action == ACT_DENY)
        c->denied++;
    else if (s->action == ACT_PASS)
        c->passed++;
}

static void board_build(struct board *b, const struct flowset *fs)
{
    const struct policy_set *ps = &fs->ps[FS_NEW];
    size_t i, k;

    memset(b, 0, sizeof(*b));
    b->ps = ps;
    b->pc = xcalloc(ps->npolicies ? ps->npolicies : 1, sizeof(*b->pc));
    for (i = 0; i < ps->npolicies; i++) {
        b->pc[i].in = xcalloc(ps->policies[i].ningress + 1, sizeof(struct rcount));
        b->pc[i].eg = xcalloc(ps->policies[i].negress + 1, sizeof(struct rcount));
        b->pc[i].ports_in = xcalloc(ps->policies[i].ningress + 1, sizeof(uint8_t *));
        b->pc[i].ports_eg = xcalloc(ps->policies[i].negress + 1, sizeof(uint8_t *));
    }
    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];
        const struct eng_verdict *v = f->v[FS_NEW];

        if (v->egress.judged)
            for (k = 0; k < v->egress.nsteps; k++)
                count_step(b, &v->egress.steps[k], DIR_EGRESS, f);
        if (v->ingress.judged)
            for (k = 0; k < v->ingress.nsteps; k++)
                count_step(b, &v->ingress.steps[k], DIR_INGRESS, f);
        if (v->staged && v->staged->verdict == VERDICT_DENY) {
            const struct eng_dir *d = eng_decided(v->staged);
            long pi = d ? pol_index(ps, d->dec.pol) : -1;

            if (pi >= 0 && ps->policies[pi].staged)
                b->pc[pi].would_deny++;
        }
    }
}

static void board_release(struct board *b)
{
    size_t i, k;

    for (i = 0; b->pc && i < b->ps->npolicies; i++) {
        for (k = 0; k < b->ps->policies[i].ningress; k++)
            free(b->pc[i].ports_in[k]);
        for (k = 0; k < b->ps->policies[i].negress; k++)
            free(b->pc[i].ports_eg[k]);
        free(b->pc[i].in);
        free(b->pc[i].eg);
        free(b->pc[i].ports_in);
        free(b->pc[i].ports_eg);
    }
    free(b->pc);
}

static void rw_count(struct rw *w, uint64_t n, const char *cls)
{
    if (n)
        rw_f(w, "<td class=\"num\"><span class=\"tag %s\">%llu</span></td>", cls,
             (unsigned long long)n);
    else
        rw_s(w, "<td class=\"num never\">0</td>");
}

static void rw_rule_summary(struct rw *w, const struct rule *r, int dir)
{
    const struct entity *peer = dir == DIR_INGRESS ? &r->src : &r->dst;
    size_t i;

    if (r->proto > 0) {
        rw_proto(w, r->proto);
        rw_s(w, " ");
    }
    if (r->dst.nports) {
        rw_s(w, "ports ");
        for (i = 0; i < r->dst.nports; i++) {
            const struct port_match *pm = &r->dst.ports[i];

            rw_s(w, i ? "," : "");
            if (pm->name)
                rw_esc(w, pm->name);
            else if (pm->hi > pm->lo)
                rw_f(w, "%u:%u", pm->lo, pm->hi);
            else
                rw_f(w, "%u", pm->lo);
        }
        rw_s(w, " ");
    }
    if (peer->sel_text) {
        rw_s(w, dir == DIR_INGRESS ? "from <code>" : "to <code>");
        rw_esc(w, peer->sel_text);
        rw_s(w, "</code>");
    } else if (peer->nnets) {
        rw_s(w, dir == DIR_INGRESS ? "from nets" : "to nets");
    } else if (!r->dst.nports && r->proto <= 0) {
        rw_s(w, "anything");
    }
}

static void board_rule_rows(struct rw *w, const struct board *b, long pi, int dir)
{
    const struct policy *p = &b->ps->policies[pi];
    const struct rule *rules = dir == DIR_INGRESS ? p->ingress : p->egress;
    size_t n = dir == DIR_INGRESS ? p->ningress : p->negress, i;
    const struct rcount *c = dir == DIR_INGRESS ? b->pc[pi].in : b->pc[pi].eg;

    for (i = 0; i < n; i++) {
        int never = !c[i].allowed && !c[i].denied && !c[i].passed;

        rw_f(w, "<tr class=\"rule%s\"><td></td><td>%s rule %zu <span class=\"tag %s\">%s</span> ",
             never ? " never" : "", dir == DIR_INGRESS ? "ingress" : "egress", i,
             rules[i].action == ACT_DENY    ? "t-deny"
             : rules[i].action == ACT_ALLOW ? "t-allow"
                                            : "t-mute",
             rule_action_name(rules[i].action));
        if (rules[i].name) {
            rw_s(w, "<b>");
            rw_esc(w, rules[i].name);
            rw_s(w, "</b> ");
        }
        if (rules[i].fail_closed)
            rw_s(w, "<span class=\"tag t-warn\">fail-closed: Calico could not convert this "
                    "rule</span> ");
        rw_s(w, "<small>");
        rw_rule_summary(w, &rules[i], dir);
        rw_s(w, "</small></td>");
        rw_count(w, c[i].allowed, "t-allow");
        rw_count(w, c[i].denied, "t-deny");
        rw_count(w, c[i].passed, "t-mute");
        rw_s(w, "<td>");
        if (never)
            rw_s(w, "<span class=\"tag t-mute\">never hit</span>");
        rw_s(w, "</td></tr>\n");
    }
}

static void write_board(struct rw *w, const struct flowset *fs, const struct board *b,
                        const struct report_opts *o)
{
    const struct policy_set *ps = &fs->ps[FS_NEW];
    size_t t, k;
    int first;

    rw_s(w, "<section id=\"board\"><h2>Policy board</h2>\n<p class=\"hint\">What each tier, "
            "policy and rule decided for the recorded flows (each end of a flow is judged on "
            "its own: egress at the source pod, ingress at the destination pod). Greyed rules "
            "were never hit.</p>\n<table id=\"board-table\"><thead><tr><th>Tier / policy</th>"
            "<th>Rule</th><th class=\"num\">Allowed</th><th class=\"num\">Denied</th>"
            "<th class=\"num\">Passed</th><th></th></tr></thead><tbody>\n");
    for (t = 0; t < ps->ntiers; t++) {
        const struct tier *tr = &ps->tiers[t];
        uint64_t eot_deny = 0, eot_pass = 0;

        for (k = 0; k < tr->npolicies; k++) {
            long pi = pol_index(ps, tr->policies[k]);

            if (pi >= 0) {
                eot_deny += b->pc[pi].eot.denied;
                eot_pass += b->pc[pi].eot.passed;
            }
        }
        rw_s(w, "<tr class=\"tier\"><th colspan=\"6\">tier ");
        rw_esc(w, tr->name);
        if (tr->has_order)
            rw_f(w, " <small>(order %.15g)</small>", tr->order);
        rw_s(w, "</th></tr>\n");
        for (k = 0; k < tr->npolicies; k++) {
            const struct policy *p = tr->policies[k];
            long pi = pol_index(ps, p);
            const struct pcount *c;

            if (pi < 0)
                continue;
            c = &b->pc[pi];
            rw_f(w, "<tr class=\"policy\"><td colspan=\"2\"><b>");
            rw_policy(w, p);
            rw_f(w, "</b> <small>%s", pol_kind_short(p->kind));
            if (p->has_order)
                rw_f(w, ", order %.15g", p->order);
            rw_s(w, ", selector <code>");
            rw_esc(w, p->selector_text ? p->selector_text : "all()");
            rw_s(w, "</code></small>");
            if (p->staged)
                rw_f(w, " <span class=\"tag t-warn\">staged: would deny %llu</span>",
                     (unsigned long long)c->would_deny);
            rw_s(w, "</td><td></td><td></td><td></td><td></td></tr>\n");
            for (size_t f = 0; f < o->nfixes; f++) {
                if (o->fixes[f].pol != p)
                    continue;
                rw_s(w, "<tr class=\"fix\"><td colspan=\"6\"><span class=\"tag t-allow\">"
                        "suggested fix</span> ");
                rw_esc(w, o->fixes[f].text);
                rw_s(w, " <small>(<code>podflow-analyze suggest CASE -p ... --fix --out DIR"
                        "</code> writes it and proves it)</small></td></tr>\n");
            }
            board_rule_rows(w, b, pi, DIR_INGRESS);
            board_rule_rows(w, b, pi, DIR_EGRESS);
        }
        rw_s(w, "<tr class=\"eot\"><td></td><td><b>end of tier ");
        rw_esc(w, tr->name);
        rw_f(w,
             "</b>: default action <span class=\"tag %s\">%s</span> <small>(endpoints a "
             "policy of this tier selected and no rule decided",
             tr->default_pass ? "t-mute" : "t-deny", tr->default_pass ? "Pass" : "Deny");
        /* Calico attributes the end of tier to the last enforced policy of
         * the tier that governs the direction (§5). */
        for (k = 0, first = 1; k < tr->npolicies; k++) {
            long pi = pol_index(ps, tr->policies[k]);

            if (pi < 0 || (!b->pc[pi].eot.denied && !b->pc[pi].eot.passed))
                continue;
            rw_s(w, first ? "; counted against the last policy evaluated: " : ", ");
            rw_policy(w, tr->policies[k]);
            rw_f(w, " \xc3\x97%llu",
                 (unsigned long long)(b->pc[pi].eot.denied + b->pc[pi].eot.passed));
            first = 0;
        }
        rw_s(w, ")</small></td>");
        rw_count(w, 0, "");
        rw_count(w, eot_deny, "t-deny");
        rw_count(w, eot_pass, "t-mute");
        rw_s(w, "<td>");
        if (!eot_deny && !eot_pass)
            rw_s(w, "<span class=\"tag t-mute\">never hit</span>");
        rw_s(w, "</td></tr>\n");
    }
    rw_s(w, "<tr class=\"tier\"><th colspan=\"6\">profiles (no policy selected the endpoint, or "
            "every tier passed)</th></tr>\n<tr><td></td><td>kns.&lt;namespace&gt; default");
    if (ps->nheps)
        rw_s(w, "; host endpoints' own (projectcalico-default-allow, or a drop when none "
                "matched)");
    rw_s(w, "</td>");
    rw_count(w, b->profile.allowed, "t-allow");
    rw_count(w, b->profile.denied, "t-deny");
    rw_count(w, b->profile.passed, "t-mute");
    rw_s(w, "<td></td></tr>\n");
    if (ps->nheps) {
        /* §17: the host endpoints, and what their failsafe ports let in
         * and out before any policy. */
        rw_s(w, "<tr class=\"tier\"><th colspan=\"6\">host endpoints</th></tr>\n");
        for (size_t i = 0; i < ps->nheps; i++) {
            const struct hostep *h = &ps->heps[i];
            char ipb[IPADDR_STRLEN];

            rw_s(w, "<tr class=\"policy\"><td colspan=\"2\"><b>");
            rw_esc(w, h->name);
            rw_s(w, "</b> <small>node ");
            rw_esc(w, h->node);
            rw_s(w, ", interface ");
            rw_esc(w, h->iface ? h->iface : "(by expected IP)");
            for (size_t m = 0; m < h->nips; m++) {
                rw_s(w, m ? ", " : ", expected IPs ");
                rw_esc(w, ipaddr_format(&h->ips[m], ipb));
            }
            for (size_t m = 0; m < h->nprofiles; m++) {
                rw_s(w, m ? ", " : ", profiles ");
                rw_esc(w, h->profiles[m]);
            }
            rw_s(w, "</small></td><td></td><td></td><td></td><td></td></tr>\n");
        }
        rw_s(w, "<tr><td></td><td>failsafe ports (before any policy)</td>");
        rw_count(w, b->failsafe.allowed, "t-allow");
        rw_count(w, 0, "");
        rw_count(w, 0, "");
        rw_s(w, "<td></td></tr>\n");
    }
    rw_s(w, "</tbody></table></section>\n");
}

/* Ports with a bit set in bm within [lo, hi], into out (at most max). */
static size_t bitmap_ports(const uint8_t *bm, unsigned lo, unsigned hi, uint16_t *out, size_t max)
{
    size_t n = 0;
    unsigned p;

    for (p = lo; p <= hi && n < max; p++)
        if (bm && (bm[p / 8] & (1u << (p % 8))))
            out[n++] = (uint16_t)p;
    return n;
}

static void port_rule_lines(struct rw *w, const struct board *b, long pi, int dir, int *any)
{
    const struct policy *p = &b->ps->policies[pi];
    const struct rule *rules = dir == DIR_INGRESS ? p->ingress : p->egress;
    size_t n = dir == DIR_INGRESS ? p->ningress : p->negress, i, k, m;
    uint8_t *const *bms = dir == DIR_INGRESS ? b->pc[pi].ports_in : b->pc[pi].ports_eg;
    uint16_t used[64];

    for (i = 0; i < n; i++) {
        if (!rule_has_range(&rules[i]))
            continue;
        for (k = 0; k < rules[i].dst.nports; k++) {
            const struct port_match *pm = &rules[i].dst.ports[k];

            if (pm->name || pm->hi <= pm->lo)
                continue;
            m = bitmap_ports(bms[i], pm->lo, pm->hi, used, ARRAY_SIZE(used));
            *any = 1;
            rw_s(w, "<tr><td>");
            rw_policy(w, p);
            rw_f(w, "</td><td>%s rule %zu</td><td><code>",
                 dir == DIR_INGRESS ? "ingress" : "egress", i);
            if (rules[i].proto > 0) {
                rw_proto(w, rules[i].proto);
                rw_s(w, " ");
            }
            rw_f(w, "%u:%u</code> allowed</td><td>", pm->lo, pm->hi);
            if (m) {
                rw_s(w, "<code>");
                rw_ports(w, used, m);
                rw_f(w, "</code> used (%zu%s of %u ports)", m, m == ARRAY_SIZE(used) ? "+" : "",
                     pm->hi - pm->lo + 1u);
            } else {
                rw_s(w, "<span class=\"tag t-mute\">no flow used this range</span>");
            }
            rw_f(w, "</td><td class=\"num\">%u ports</td></tr>\n", pm->hi - pm->lo + 1u);
        }
    }
}

struct gap {
    int dir, proto;
    char who[600];
    char why[600];
    uint16_t ports[64];
    size_t nports;
    uint64_t flows;
};

static int u16_cmp(const void *x, const void *y)
{
    uint16_t a = *(const uint16_t *)x, b = *(const uint16_t *)y;

    return (a > b) - (a < b);
}

/* Observed ports no rule allows: the flows denied at an end because no
 * rule there matched (end of tier, no profile), grouped by the end's
 * workload, protocol and what denied it. */
static void write_gaps(struct rw *w, const struct flowset *fs)
{
    struct gap *gaps = NULL;
    size_t ngaps = 0, alloc = 0, i, k;

    for (i = 0; i < fs->nflows; i++) {
        const struct flowset_flow *f = &fs->flows[i];
        const struct eng_verdict *v = f->v[FS_NEW];
        const struct eng_dir *dirs[2] = {&v->egress, &v->ingress};
        int dn;

        for (dn = 0; dn < 2; dn++) {
            const struct eng_dir *d = dirs[dn];
            const struct case_ep *ep = dn == 0 ? f->src : f->dst;
            struct flowset_node nd;
            struct gap gp;
            struct buf why;

            if (!d->judged || d->allow || d->reason == REASON_RULE || d->reason == REASON_DATAPLANE)
                continue;
            memset(&gp, 0, sizeof(gp));
            gp.dir = dn == 0 ? DIR_EGRESS : DIR_INGRESS;
            gp.proto = f->proto;
            flowset_node_of(ep, &nd);
            snprintf(gp.who, sizeof(gp.who), "%s/%s", nd.ns ? nd.ns : "", nd.name ? nd.name : "");
            buf_init(&why, 0);
            if (d->reason == REASON_END_OF_TIER && d->dec.tier)
                (void)!buf_addf(&why, "end of tier %s", d->dec.tier->name);
            else
                (void)!buf_addf(&why, "%s", eng_reason_name(d->reason));
            snprintf(gp.why, sizeof(gp.why), "%s", why.data);
            buf_release(&why);
            for (k = 0; k < ngaps; k++)
                if (gaps[k].dir == gp.dir && gaps[k].proto == gp.proto &&
                    strcmp(gaps[k].who, gp.who) == 0 && strcmp(gaps[k].why, gp.why) == 0)
                    break;
            if (k == ngaps) {
                ALLOC_GROW(gaps, ngaps + 1, alloc);
                gaps[ngaps++] = gp;
            }
            gaps[k].flows++;
            if (!bsearch(&f->dst_port, gaps[k].ports, gaps[k].nports, sizeof(uint16_t), u16_cmp) &&
                gaps[k].nports < ARRAY_SIZE(gaps[k].ports)) {
                gaps[k].ports[gaps[k].nports++] = f->dst_port;
                qsort(gaps[k].ports, gaps[k].nports, sizeof(uint16_t), u16_cmp);
            }
        }
    }
    rw_s(w, "<h3>Observed ports no rule allows</h3>\n");
    if (!ngaps)
        rw_s(w, "<p class=\"hint\">None: every denied end was denied by a rule, or nothing was "
                "denied.</p>\n");
    else
        rw_s(w, "<table id=\"gaps-table\"><thead><tr><th>Where</th><th>Ports seen</th>"
                "<th>Denied by</th><th class=\"num\">Flows</th></tr></thead><tbody>\n");
    for (k = 0; k < ngaps; k++) {
        rw_f(w, "<tr class=\"v-deny\"><td>%s ",
             gaps[k].dir == DIR_EGRESS ? "egress from" : "ingress to");
        rw_esc(w, gaps[k].who);
        rw_s(w, "</td><td><code>");
        rw_proto(w, gaps[k].proto);
        /* Ports only where the protocol has them (ICMP's "port" is 0). */
        if (gaps[k].proto == 6 || gaps[k].proto == 17 || gaps[k].proto == 132) {
            rw_s(w, " ");
            rw_ports(w, gaps[k].ports, gaps[k].nports);
        }
        rw_s(w, "</code></td><td>");
        rw_esc(w, gaps[k].why);
        rw_f(w, "</td><td class=\"num\">%llu</td></tr>\n", (unsigned long long)gaps[k].flows);
    }
    if (ngaps)
        rw_s(w, "</tbody></table>\n");
    free(gaps);
}

static void write_ports(struct rw *w, const struct flowset *fs, const struct board *b)
{
    const struct policy_set *ps = &fs->ps[FS_NEW];
    size_t i;
    int any = 0;

    rw_s(w, "<section id=\"ports\"><h2>Port coverage</h2>\n<h3>Allowed port ranges and the "
            "ports flows used</h3>\n<table id=\"ranges-table\"><thead><tr><th>Policy</th>"
            "<th>Rule</th><th>Allows</th><th>Used by recorded flows</th><th class=\"num\">"
            "Range</th></tr></thead><tbody>\n");
    for (i = 0; i < ps->npolicies; i++) {
        port_rule_lines(w, b, (long)i, DIR_INGRESS, &any);
        port_rule_lines(w, b, (long)i, DIR_EGRESS, &any);
    }
    if (!any)
        rw_s(w, "<tr><td colspan=\"5\" class=\"hint\">No allowing rule has a port range.</td>"
                "</tr>\n");
    rw_s(w, "</tbody></table>\n");
    write_gaps(w, fs);
    rw_s(w, "</section>\n");
}

/* ---- capture coverage ------------------------------------------------------------------ */

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? (const char *)t : "";
}

static void rw_col_time(struct rw *w, sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        rw_s(w, "\xe2\x80\x94");
    else
        rw_time(w, sqlite3_column_int64(st, i));
}

static int write_capture(struct rw *w, const struct flowset *fs, struct diag *d)
{
    static const char q_cap[] =
        "SELECT id, node, source, started_ns, ended_ns, interfaces, packets_seen, "
        "packets_dropped, packets_if_dropped, flows_written FROM captures ORDER BY id";
    static const char q_if[] =
        "SELECT capture_id, name, appeared_ns, vanished_ns, packets_seen, packets_dropped, "
        "packets_if_dropped FROM interfaces ORDER BY capture_id, id";
    sqlite3_stmt *st = NULL;
    sqlite3 *db = fs->c.db;
    int rc, rows = 0;

    rw_s(w, "<section id=\"capture\"><h2>Capture coverage</h2>\n<p class=\"hint\">Where and when "
            "packets were recorded, and what the kernel dropped: no flow outside these nodes, "
            "interfaces and times can be judged.</p>\n");
    if (fs->c.inventory_problems) {
        char n[32];

        snprintf(n, sizeof(n), "%lld", (long long)fs->c.inventory_problems);
        rw_s(w, "<p class=\"warn\" id=\"inventory-problems\">The inventory had ");
        rw_s(w, n);
        rw_s(w, fs->c.inventory_problems == 1 ? " problem" : " problems");
        rw_s(w, " when it was loaded (objects skipped or fields dropped): some identities may lack "
                "labels, addresses, ports or times.</p>\n");
    }
    {
        struct red_ctx red;

        red_init(&red, fs->e[FS_NEW], &fs->c);
        if (red.nrules) {
            char n[160];

            snprintf(n, sizeof(n), "%zu", red.nrules);
            rw_s(w, "<p class=\"warn\" id=\"redaction-untrusted\">This case is redacted, and ");
            rw_s(w, n);
            rw_s(w, red.nrules == 1 ? " rule names" : " rules name");
            rw_s(w, " external addresses that were not kept (--keep-policy-nets, --keep-net): "
                    "verdicts on flows with a pseudonymised peer cannot be trusted:");
            for (size_t i = 0; i < red.nrules && i < 50; i++) {
                char t[512];

                rw_s(w, i ? ", " : " ");
                rw_esc(w, red_rule_text(&red.rules[i], t, sizeof(t)));
            }
            rw_s(w, ".</p>\n");
        }
        red_release(&red);
    }
    rw_s(w, "<table id=\"captures-table\"><thead><tr>"
            "<th>Capture</th><th>Node</th><th>Source</th><th>Started</th><th>Ended</th>"
            "<th>Interfaces</th><th class=\"num\">Packets</th><th class=\"num\">Kernel drops</th>"
            "<th class=\"num\">Interface drops</th><th class=\"num\">Flows</th></tr></thead>"
            "<tbody>\n");
    if (sqlite3_prepare_v2(db, q_cap, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t drops = sqlite3_column_int64(st, 7), ifd = sqlite3_column_int64(st, 8);

        rows++;
        rw_f(w, "<tr><td>%lld</td><td>", (long long)sqlite3_column_int64(st, 0));
        rw_esc(w, col_text(st, 1));
        rw_s(w, "</td><td>");
        rw_esc(w, col_text(st, 2));
        rw_s(w, "</td><td>");
        rw_col_time(w, st, 3);
        rw_s(w, "</td><td>");
        rw_col_time(w, st, 4);
        rw_s(w, "</td><td><code>");
        rw_esc(w, col_text(st, 5));
        rw_f(w, "</code></td><td class=\"num\">%lld</td>", (long long)sqlite3_column_int64(st, 6));
        rw_count(w, drops > 0 ? (uint64_t)drops : 0, "t-deny");
        rw_count(w, ifd > 0 ? (uint64_t)ifd : 0, "t-deny");
        rw_f(w, "<td class=\"num\">%lld</td></tr>\n", (long long)sqlite3_column_int64(st, 9));
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE)
        goto fail;
    if (!rows)
        rw_s(w, "<tr><td colspan=\"10\" class=\"hint\">This case records no capture.</td></tr>\n");
    rw_s(w, "</tbody></table>\n<h3>Interfaces</h3>\n<table id=\"interfaces-table\"><thead><tr>"
            "<th>Capture</th><th>Interface</th><th>Appeared</th><th>Vanished</th>"
            "<th class=\"num\">Packets</th><th class=\"num\">Kernel drops</th>"
            "<th class=\"num\">Interface drops</th></tr></thead><tbody>\n");
    if (sqlite3_prepare_v2(db, q_if, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t drops = sqlite3_column_int64(st, 5), ifd = sqlite3_column_int64(st, 6);

        rw_f(w, "<tr><td>%lld</td><td><code>", (long long)sqlite3_column_int64(st, 0));
        rw_esc(w, col_text(st, 1));
        rw_s(w, "</code></td><td>");
        rw_col_time(w, st, 2);
        rw_s(w, "</td><td>");
        rw_col_time(w, st, 3);
        rw_f(w, "</td><td class=\"num\">%lld</td>", (long long)sqlite3_column_int64(st, 4));
        rw_count(w, drops > 0 ? (uint64_t)drops : 0, "t-deny");
        rw_count(w, ifd > 0 ? (uint64_t)ifd : 0, "t-deny");
        rw_s(w, "</tr>\n");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        goto fail;
    rw_s(w, "</tbody></table></section>\n");
    return 0;
fail:
    sqlite3_finalize(st);
    diag_err(d, "cannot read '%s': %s", fs->c.path ? fs->c.path : "case", sqlite3_errmsg(db));
    return ERR_DB;
}

int report_html(const struct flowset *fs, const struct report_opts *o, struct buf *out,
                struct diag *d)
{
    struct rw w;
    struct sums s;
    struct graph g;
    struct board b;
    struct tv t;
    int rc;

    w.out = out;
    w.rc = 0;
    summarize(fs, &s);
    graph_build(&g, fs);
    board_build(&b, fs);
    tv_build(&t, fs);
    write_header(&w, fs, o, &s);
    write_graph(&w, fs, &g, &t, d);
    write_traffic(&w, fs, &g, &t);
    write_flows(&w, fs, &g, &t);
    write_board(&w, fs, &b, o);
    write_ports(&w, fs, &b);
    rc = write_capture(&w, fs, d);
    rw_s(&w, "</main>\n<script>");
    rw_s(&w, page_js);
    rw_s(&w, page_js_range);
    rw_s(&w, page_js_traffic);
    rw_s(&w, "</script>\n</body>\n</html>\n");
    tv_release(&t);
    board_release(&b);
    graph_release(&g);
    return rc ? rc : w.rc;
}
