/// The live console served at `GET /`: one self-contained page (markup, `ConsoleStyle`, `ConsoleScript`).
///
/// Everything is inline — no CDN, no build step, no resource bundle — so it works offline, on an air-gapped site, and
/// from any edge binary as built. The element ids listed at the top of the markup are a contract: `ConsoleTests` drives
/// the page through them in headless Chromium.
enum ConsolePage {
    static let html: String = markup.replacingOccurrences(of: "/*STYLE*/", with: ConsoleStyle.css)
        .replacingOccurrences(of: "/*SCRIPT*/", with: ConsoleScript.javascript)

    static let markup = #"""
        <!doctype html>
        <!--
          Switchboard live console. Element ids (kept stable for tests and scripts):
            session    #login-form #login-user #login-pass #login-submit #login-anon #logout #login-status
                       #connect #disconnect #conn-status (data-state: closed | connecting | open)
            subscribe  #sub-form #sub-channels #sub-type-T #sub-type-S #sub-type-C #sub-type-A #sub-interval #sub-source
                       #sub-submit #unsub-submit #sub-status
                       #values-body (one tr[data-key="source:channel:type:point"] per point, value in td.value)
                       #chart-key (select) #chart (canvas) #chart-caption
            control    #ctl-form #ctl-channel #ctl-point #ctl-value #ctl-type #ctl-submit #ctl-result
            rooms      #room-form #room-name #room-join #room-leave #room-status #room-members (li per member)
                       #chat-form #chat-input #chat-send #chat-log (li.chat-line per message: .chat-user .chat-content)
            questions  #ask-form #ask-input #ask-submit #ask-suggest #ask-suggestions (datalist) #ask-log (li per event)
            menu       #menu-version #menu-refresh #menu-updates (li per menu_update)
            errors     #error-banner (role=alert, hidden when there is none) #error-text #error-dismiss
            log        #frame-log (li.in | li.out | li.note, newest first) #log-clear #raw-form #raw-input #raw-send
        -->
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Switchboard console</title>
        <style>/*STYLE*/</style>
        </head>
        <body>
        <header>
          <h1>Switchboard console</h1>
          <p id="conn-status" data-state="closed" role="status" aria-live="polite">disconnected</p>
          <nav><a href="/docs">API docs</a> · <a href="/health">health</a> · <a href="/websocket/status">status</a></nav>
        </header>
        <div id="error-banner" role="alert" hidden>
          <span id="error-text"></span>
          <button type="button" id="error-dismiss" aria-label="Dismiss the error">×</button>
        </div>
        <main>
        <section aria-labelledby="h-session">
          <h2 id="h-session">Session</h2>
          <form id="login-form">
            <label>User <input id="login-user" name="username" autocomplete="username" required></label>
            <label>Password <input id="login-pass" name="password" type="password" autocomplete="current-password" required></label>
            <button id="login-submit" type="submit">Log in and connect</button>
            <button id="login-anon" type="button">Connect anonymously</button>
            <button id="logout" type="button">Log out</button>
          </form>
          <p id="login-status" aria-live="polite">not logged in</p>
          <p class="row">
            <button id="connect" type="button">Connect</button>
            <button id="disconnect" type="button">Disconnect</button>
          </p>
        </section>

        <section aria-labelledby="h-menu">
          <h2 id="h-menu">Menu</h2>
          <p><span id="menu-version" aria-live="polite">version unknown</span>
            <button id="menu-refresh" type="button">Refresh</button></p>
          <ol id="menu-updates" class="events" aria-label="menu_update frames"></ol>
        </section>

        <section class="wide" aria-labelledby="h-subscribe">
          <h2 id="h-subscribe">Telemetry</h2>
          <form id="sub-form">
            <label>Channels <input id="sub-channels" value="1001,1002" size="18" aria-describedby="sub-help"></label>
            <fieldset class="inline"><legend>Data types</legend>
              <label><input type="checkbox" id="sub-type-T" value="T" checked> T</label>
              <label><input type="checkbox" id="sub-type-S" value="S"> S</label>
              <label><input type="checkbox" id="sub-type-C" value="C"> C</label>
              <label><input type="checkbox" id="sub-type-A" value="A"> A</label>
            </fieldset>
            <label>Interval (ms) <input id="sub-interval" type="number" min="100" max="3600000" step="100" value="1000"></label>
            <label>Source <input id="sub-source" value="comsrv" size="8"></label>
            <button id="sub-submit" type="submit">Subscribe</button>
            <button id="unsub-submit" type="button">Unsubscribe all</button>
          </form>
          <p id="sub-help" class="hint">Comma- or space-separated channel ids, e.g. 1001,1002.</p>
          <p id="sub-status" aria-live="polite">not subscribed</p>
          <div class="split">
            <div class="table-wrap">
              <table>
                <caption>Latest values</caption>
                <thead><tr><th>source</th><th>channel</th><th>type</th><th>point</th><th>value</th><th>updated</th></tr></thead>
                <tbody id="values-body"></tbody>
              </table>
            </div>
            <figure>
              <label>Chart <select id="chart-key" aria-label="Point to chart"><option value="">(automatic: first T point)</option></select></label>
              <canvas id="chart" width="520" height="220" role="img" aria-label="Chart of the chosen point over time"></canvas>
              <figcaption id="chart-caption">no samples yet</figcaption>
            </figure>
          </div>
        </section>

        <section aria-labelledby="h-control">
          <h2 id="h-control">Control</h2>
          <form id="ctl-form">
            <label>Channel <input id="ctl-channel" type="number" value="1001" min="1"></label>
            <label>Point <input id="ctl-point" type="number" value="1" min="0"></label>
            <label>Value <input id="ctl-value" value="0" size="8"></label>
            <label>Type <select id="ctl-type"><option value="C">C (control)</option><option value="A">A (adjustment)</option></select></label>
            <button id="ctl-submit" type="submit">Send control</button>
          </form>
          <p id="ctl-result" aria-live="polite">no control sent</p>
        </section>

        <section aria-labelledby="h-questions">
          <h2 id="h-questions">Questions</h2>
          <form id="ask-form">
            <label>Question <input id="ask-input" list="ask-suggestions" size="34" maxlength="1000"></label>
            <datalist id="ask-suggestions"></datalist>
            <button id="ask-submit" type="submit">Ask</button>
            <button id="ask-suggest" type="button">Suggestions</button>
          </form>
          <ol id="ask-log" class="events" aria-live="polite" aria-label="question events"></ol>
        </section>

        <section class="wide" aria-labelledby="h-rooms">
          <h2 id="h-rooms">Rooms</h2>
          <form id="room-form">
            <label>Room <input id="room-name" value="lobby" size="14"></label>
            <button id="room-join" type="submit">Join</button>
            <button id="room-leave" type="button">Leave</button>
            <span id="room-status" aria-live="polite">not in a room</span>
          </form>
          <div class="split">
            <div>
              <ol id="chat-log" role="log" aria-live="polite" aria-label="chat messages"></ol>
              <form id="chat-form">
                <label>Message <input id="chat-input" size="40" maxlength="4000"></label>
                <button id="chat-send" type="submit">Send</button>
              </form>
            </div>
            <div>
              <h3>Members</h3>
              <ul id="room-members" aria-label="room members"></ul>
            </div>
          </div>
        </section>

        <section class="wide" aria-labelledby="h-log">
          <h2 id="h-log">Frames</h2>
          <form id="raw-form">
            <label>Raw frame <input id="raw-input" size="70" value='{"type":"ping","id":"ping_1","data":{}}'></label>
            <button id="raw-send" type="submit">Send raw</button>
            <button id="log-clear" type="button">Clear log</button>
          </form>
          <ol id="frame-log" role="log" aria-label="frames in and out, newest first"></ol>
        </section>
        </main>
        <script>/*SCRIPT*/</script>
        </body>
        </html>
        """#
}
