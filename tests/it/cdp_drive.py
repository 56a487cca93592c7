#!/usr/bin/env python3
"""cdp_drive.py: drive a page in headless Chromium through the DevTools
protocol over a pipe (--remote-debugging-pipe: no port, no network), for
tests/it/report_browser_cluster.sh.

    cdp_drive.py BROWSER URL STEPS OUTDIR [CHROMIUM ARGS...]

STEPS is a file of lines, run in order (blank lines and # comments
skipped):
    click CSS            dispatch a real mouse click at the centre of the
                         first element matching CSS (scrolled into view)
    drag CSS X0 X1       press at fraction X0 of the element's width, move,
                         release at X1 (vertical centre)
    expect JS => VALUE   evaluate JS (an expression) and compare its value,
                         as JSON, with VALUE (JSON)
    clickpath CSS        click the middle of an SVG path
    clickarc CSS         click inside a ring segment (an SVG path round the
                         origin), a quarter of the way along its outline
    select CSS VALUE     choose VALUE in a <select> (what picking it from
                         its list does: a change event)
    print JS             print the value of JS, as "value: JSON"
    scroll CSS           scroll the first element matching CSS to the top
    shot NAME [CSS]      a PNG of the viewport (1400 x 1000; or of the
                         element matching CSS, whole, its sticky parts
                         set static meanwhile) into OUTDIR/NAME.png
Prints "ok: ..." or "FAIL: ..." per expect; exit 0 when all passed, 1
when one failed, 2 when the browser could not be driven.
"""
import base64
import json
import os
import subprocess
import sys
import time


class Cdp:
    def __init__(self, browser, args):
        r_cmd, w_cmd = os.pipe()  # we write commands, chromium reads fd 3
        r_res, w_res = os.pipe()  # chromium writes fd 4, we read
        def fds():
            # Copies first: the pipe ends may themselves be 3 or 4.
            a, b = os.dup(r_cmd), os.dup(w_res)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [browser, "--remote-debugging-pipe"] + args,
            pass_fds=(3, 4),
            preexec_fn=fds,
            stdout=subprocess.DEVNULL,
            stderr=open(os.environ.get("CDP_LOG", os.devnull), "w"),
        )
        os.close(r_cmd)
        os.close(w_res)
        self.w = os.fdopen(w_cmd, "wb", buffering=0)
        self.r = os.fdopen(r_res, "rb", buffering=0)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read_msg(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from the browser")
            chunk = self.r.read(65536)
            if not chunk:
                raise EOFError("the browser closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        self.w.write(json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read_msg(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=60):
        deadline = time.time() + timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    del self.events[i]
                    return m
            self.events.append(self._read_msg(deadline))

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"].get("text")))
        return r["result"].get("value")

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def box(cdp, css):
    return cdp.eval(
        "(function(){var e=document.querySelector(%s);if(!e)return null;"
        "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
        "return [r.left,r.top,r.width,r.height];})()" % json.dumps(css))


def mouse(cdp, kind, x, y):
    cdp.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                          "clickCount": 1})


def main():
    if len(sys.argv) < 5:
        print(__doc__)
        return 2
    browser, url, steps, outdir = sys.argv[1:5]
    cdp = Cdp(browser, sys.argv[5:])
    fails = 0
    try:
        t = cdp.call("Target.createTarget", {"url": "about:blank"}, session=False)
        a = cdp.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True},
                     session=False)
        cdp.session = a["sessionId"]
        cdp.call("Page.enable")
        cdp.call("Runtime.enable")
        cdp.call("Emulation.setDeviceMetricsOverride",
                 {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        cdp.call("Page.navigate", {"url": url})
        cdp.wait_event("Page.loadEventFired")
        for line in open(steps):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            op, _, rest = line.partition(" ")
            if op == "click":
                b = box(cdp, rest)
                if not b:
                    print("FAIL: click: nothing matches %s" % rest)
                    fails += 1
                    continue
                x, y = b[0] + b[2] / 2, b[1] + b[3] / 2
                mouse(cdp, "mouseMoved", x, y)
                mouse(cdp, "mousePressed", x, y)
                mouse(cdp, "mouseReleased", x, y)
            elif op == "drag":
                css, f0, f1 = rest.rsplit(" ", 2)
                b = box(cdp, css)
                if not b:
                    print("FAIL: drag: nothing matches %s" % css)
                    fails += 1
                    continue
                y = b[1] + b[3] / 2
                x0, x1 = b[0] + b[2] * float(f0), b[0] + b[2] * float(f1)
                mouse(cdp, "mouseMoved", x0, y)
                mouse(cdp, "mousePressed", x0, y)
                for k in range(1, 6):
                    mouse(cdp, "mouseMoved", x0 + (x1 - x0) * k / 5, y)
                mouse(cdp, "mouseReleased", x1, y)
            elif op in ("clickpath", "clickarc"):
                # A point on an SVG path: its middle (clickpath), or a
                # quarter of the way round pulled 6 units towards the
                # origin, inside a ring segment drawn round it (clickarc).
                pt = cdp.eval(
                    "(function(){var e=document.querySelector(%s);if(!e)return null;"
                    "e.scrollIntoView({block:'center'});var l=e.getTotalLength(),"
                    "p=e.getPointAtLength(l*%s),r=Math.hypot(p.x,p.y),k=%s?(r-6)/r:1,"
                    "q=e.ownerSVGElement.createSVGPoint();q.x=p.x*k;q.y=p.y*k;"
                    "q=q.matrixTransform(e.getScreenCTM());return [q.x,q.y];})()"
                    % (json.dumps(rest), "0.5" if op == "clickpath" else "0.25",
                       "false" if op == "clickpath" else "true"))
                if not pt:
                    print("FAIL: %s: nothing matches %s" % (op, rest))
                    fails += 1
                    continue
                mouse(cdp, "mouseMoved", pt[0], pt[1])
                mouse(cdp, "mousePressed", pt[0], pt[1])
                mouse(cdp, "mouseReleased", pt[0], pt[1])
            elif op == "print":
                print("value: %s" % json.dumps(cdp.eval(rest), ensure_ascii=False))
            elif op == "select":
                css, _, val = rest.rpartition(" ")
                cdp.eval("(function(){var e=document.querySelector(%s);e.value=%s;"
                         "e.dispatchEvent(new Event('change'));})()"
                         % (json.dumps(css), json.dumps(val)))
            elif op == "scroll":
                cdp.eval("document.querySelector(%s).scrollIntoView({block:'start'})"
                         % json.dumps(rest))
            elif op == "expect":
                expr, _, want = rest.partition(" => ")
                try:
                    got = cdp.eval(expr)
                except RuntimeError as e:
                    got = "error: %s" % e
                if got == json.loads(want):
                    print("ok: %s" % expr)
                else:
                    print("FAIL: %s: got %s, want %s" % (expr, json.dumps(got), want))
                    fails += 1
            elif op == "shot":
                name, _, css = rest.partition(" ")
                params = {"format": "png", "captureBeyondViewport": True}
                if css:
                    b = box(cdp, css)
                    if not b:
                        print("FAIL: shot: nothing matches %s" % css)
                        fails += 1
                        continue
                    # Sticky elements (the page's bar, table heads) stay
                    # where the viewport's top is: set them static while
                    # the element is taken beyond the viewport.
                    cdp.eval("document.querySelectorAll('*').forEach(function(e){"
                             "if(getComputedStyle(e).position==='sticky'){"
                             "e.setAttribute('data-cdp-sticky','');e.style.position='static';}})")
                    b = box(cdp, css)
                    sy = cdp.eval("window.scrollY")
                    params["clip"] = {"x": b[0], "y": b[1] + sy, "width": b[2], "height": b[3],
                                      "scale": 1}
                else:
                    params = {"format": "png"}  # the viewport, as a person sees it
                data = cdp.call("Page.captureScreenshot", params, timeout=180)["data"]
                cdp.eval("document.querySelectorAll('[data-cdp-sticky]').forEach(function(e){"
                         "e.removeAttribute('data-cdp-sticky');e.style.position='';})")
                with open(os.path.join(outdir, name + ".png"), "wb") as f:
                    f.write(base64.b64decode(data))
                print("ok: screenshot %s.png" % name)
            else:
                print("FAIL: unknown step %s" % op)
                fails += 1
    except (RuntimeError, TimeoutError, EOFError, OSError) as e:
        print("cannot drive the browser: %s" % e)
        cdp.close()
        return 2
    cdp.close()
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
