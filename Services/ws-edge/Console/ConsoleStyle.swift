/// The console's stylesheet: plain, readable, high-contrast, a two-column grid that collapses on narrow screens.
enum ConsoleStyle {
    static let css = #"""
        :root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa;--ok:#116329;--bad:#a40e26;--accent:#0969da}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
        header{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;padding:.5rem 1rem;background:#fff;border-bottom:1px solid var(--line)}
        header h1{font-size:1.2rem;margin:0}header nav{margin-left:auto}
        #conn-status{margin:0;padding:2px 8px;border-radius:10px;background:#eaeef2;font-weight:600}
        #conn-status[data-state=open]{background:#dafbe1;color:var(--ok)}
        #conn-status[data-state=connecting]{background:#fff8c5;color:#7d4e00}
        #error-banner{display:flex;gap:1rem;align-items:center;margin:.5rem 1rem 0;padding:.5rem .8rem;border:1px solid var(--bad);
          border-radius:6px;background:#ffebe9;color:var(--bad);font-weight:600}
        #error-banner[hidden]{display:none}
        #error-dismiss{margin-left:auto}
        main{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.75rem;padding:.75rem 1rem}
        section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;min-width:0}
        section.wide{grid-column:1/-1}
        h2{font-size:1rem;margin:.2rem 0 .5rem}h3{font-size:.9rem;margin:.2rem 0}
        form{display:flex;flex-wrap:wrap;gap:.4rem .7rem;align-items:center;margin:.3rem 0}
        fieldset.inline{display:inline-flex;gap:.5rem;border:1px solid var(--line);border-radius:4px;padding:0 .5rem .2rem;margin:0}
        fieldset.inline legend{font-size:.8rem;color:var(--muted)}
        input,select,button{font:inherit}
        input:not([type=checkbox]),select{padding:2px 5px;border:1px solid var(--line);border-radius:4px}
        button{padding:3px 10px;border:1px solid #1f883d;border-radius:5px;background:#1f883d;color:#fff;cursor:pointer}
        button[type=button]{background:#f6f8fa;color:var(--fg);border-color:var(--line)}
        button:focus-visible,input:focus-visible,select:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
        .hint{color:var(--muted);font-size:.85rem;margin:.1rem 0}
        .row{display:flex;gap:.5rem;margin:.3rem 0}
        .split{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:.75rem}
        .table-wrap{max-height:260px;overflow:auto;border:1px solid var(--line);border-radius:4px}
        table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
        caption{text-align:left;font-weight:600;padding:2px 6px}
        th,td{padding:2px 6px;border-bottom:1px solid #eaeef2;text-align:left}
        th{position:sticky;top:0;background:#f6f8fa}
        td.value{font-weight:600}
        tr.changed td.value{animation:flash 1s ease-out}
        @keyframes flash{from{background:#fff8c5}to{background:transparent}}
        figure{margin:0}
        canvas{display:block;width:100%;height:220px;border:1px solid var(--line);border-radius:4px;background:#fff}
        figcaption{color:var(--muted);font-size:.85rem}
        ol.events,#chat-log,#frame-log{list-style:none;margin:.3rem 0;padding:0;overflow:auto}
        ol.events{max-height:160px}ol.events li{padding:1px 0;border-bottom:1px dotted #eaeef2}
        #chat-log{height:200px;border:1px solid var(--line);border-radius:4px;padding:4px 6px}
        .chat-line{margin:1px 0}.chat-line.history{color:var(--muted)}
        .chat-user{font-weight:600;margin-right:.4rem}.chat-time{color:var(--muted);font-size:.8rem;margin-right:.4rem}
        #room-members{margin:.2rem 0;padding-left:1.2rem}
        #frame-log{max-height:240px;font:12px/1.35 ui-monospace,SFMono-Regular,Menlo,monospace;border:1px solid var(--line);
          border-radius:4px;padding:4px 6px;white-space:pre-wrap;word-break:break-all}
        #frame-log li.in{color:#0550ae}#frame-log li.out{color:#116329}#frame-log li.note{color:var(--muted)}
        #frame-log li.error{color:var(--bad);font-weight:600}
        .ok{color:var(--ok)}.bad{color:var(--bad)}
        @media (max-width:800px){main,.split{grid-template-columns:1fr}}
        """#
}
