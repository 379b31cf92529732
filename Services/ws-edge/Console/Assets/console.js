'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const MAX_LOG = 300;
  const MAX_SAMPLES = 300;
  const state = {
    token: sessionStorage.getItem('switchboard.token') || '',
    user: sessionStorage.getItem('switchboard.user') || '',
    roles: JSON.parse(sessionStorage.getItem('switchboard.roles') || '[]'),
    ws: null, seq: 0, room: '', keys: new Set(), series: new Map(),
    chartKey: '', chartPinned: false, chartIsTelemetry: false,
  };

  function setText(id, text, tone) {
    const element = $(id);
    element.textContent = text;
    element.classList.toggle('ok', tone === 'ok');
    element.classList.toggle('bad', tone === 'bad');
  }

  function showError(text) {
    $('error-text').textContent = text;
    $('error-banner').hidden = false;
  }

  function clearError() {
    $('error-banner').hidden = true;
    $('error-text').textContent = '';
  }

  function log(kind, text) {
    const list = $('frame-log');
    const item = document.createElement('li');
    item.className = kind;
    const arrow = kind === 'out' ? '→' : kind === 'note' ? '•' : '←';
    const shown = text.length > 2000 ? text.slice(0, 2000) + '…' : text;
    item.textContent = new Date().toLocaleTimeString() + ' ' + arrow + ' ' + shown;
    list.prepend(item);
    while (list.children.length > MAX_LOG) list.lastChild.remove();
  }

  function setConnection(stateName, text) {
    const element = $('conn-status');
    element.dataset.state = stateName;
    element.textContent = text;
  }

  function showSession() {
    if (state.token) {
      setText('login-status', 'logged in as ' + state.user + (state.roles.length ? ' (' + state.roles.join(', ') + ')' : ''), 'ok');
    } else {
      setText('login-status', 'not logged in (connections are anonymous)');
    }
  }

  // ---- HTTP -------------------------------------------------------------------------------------------------

  async function login(event) {
    event.preventDefault();
    const username = $('login-user').value.trim();
    const password = $('login-pass').value;
    setText('login-status', 'logging in…');
    try {
      const response = await fetch('/api/auth/login', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        showError('login failed (' + response.status + '): ' + (body.code || '') + ' ' + (body.message || body.msg || ''));
        showSession();
        return;
      }
      state.token = body.access_token;
      state.user = body.user || username;
      state.roles = body.roles || [];
      sessionStorage.setItem('switchboard.token', state.token);
      sessionStorage.setItem('switchboard.user', state.user);
      sessionStorage.setItem('switchboard.roles', JSON.stringify(state.roles));
      $('login-pass').value = '';
      clearError();
      showSession();
      connect();
    } catch (error) {
      showError('login failed: ' + error);
      showSession();
    }
  }

  function logout() {
    state.token = '';
    state.user = '';
    state.roles = [];
    sessionStorage.removeItem('switchboard.token');
    sessionStorage.removeItem('switchboard.user');
    sessionStorage.removeItem('switchboard.roles');
    disconnect();
    showSession();
  }

  async function refreshMenuVersion() {
    try {
      const response = await fetch('/api/menu/version', { cache: 'no-store' });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        setText('menu-version', 'menu version unavailable (' + response.status + ' ' + (body.code || '') + ')', 'bad');
        return;
      }
      showMenuVersion(body.version, body.checksum, body.description);
    } catch (error) {
      setText('menu-version', 'menu version unavailable: ' + error, 'bad');
    }
  }

  function showMenuVersion(version, checksum, description) {
    const sum = checksum ? ' · checksum ' + String(checksum).slice(0, 12) : '';
    setText('menu-version', 'version ' + version + sum + (description ? ' · ' + description : ''), 'ok');
  }

  // ---- WebSocket --------------------------------------------------------------------------------------------

  function connect() {
    disconnect();
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const url = scheme + location.host + '/ws' + (state.token ? '?token=' + encodeURIComponent(state.token) : '');
    setConnection('connecting', 'connecting…');
    const ws = new WebSocket(url);
    state.ws = ws;
    ws.onopen = () => {
      if (state.ws !== ws) return;
      setConnection('open', 'connected' + (state.token ? ' as ' + state.user : ' anonymously'));
      log('note', 'connected to ' + url.replace(/token=[^&]*/, 'token=…'));
    };
    ws.onmessage = (event) => { if (state.ws === ws) receive(String(event.data)); };
    ws.onerror = () => {
      if (state.ws === ws) showError('WebSocket error: the edge refused or dropped the connection (see the log)');
    };
    ws.onclose = (event) => {
      log('note', 'closed with code ' + event.code + (event.reason ? ' (' + event.reason + ')' : ''));
      if (state.ws !== ws) return;
      state.ws = null;
      setConnection('closed', 'disconnected (code ' + event.code + ')');
    };
  }

  function disconnect() {
    const ws = state.ws;
    state.ws = null;
    if (ws) ws.close(1000, 'console disconnect');
    setConnection('closed', 'disconnected');
    state.room = '';
    setText('room-status', 'not in a room');
    $('room-members').replaceChildren();
  }

  function send(type, data) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      showError('not connected: log in or connect anonymously first');
      return null;
    }
    state.seq += 1;
    const frame = { type, id: type + '_' + state.seq, timestamp: Math.floor(Date.now() / 1000), data };
    const text = JSON.stringify(frame);
    state.ws.send(text);
    log('out', text);
    return frame.id;
  }

  function receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (error) {
      log('in error', text);
      showError('the server sent a frame that is not JSON');
      return;
    }
    log(frame.type === 'error' ? 'in error' : 'in', text);
    const handler = handlers[frame.type];
    if (handler) handler(frame.data || {}, frame);
  }

  const handlers = {
    connection_established(data) {
      const who = data.authenticated ? data.user : 'anonymous';
      setConnection('open', 'connected as ' + who + ' · ' + (data.connection_id || ''));
    },
    subscribe_ack(data) {
      const failed = (data.failed || []).length ? ' · failed ' + JSON.stringify(data.failed) : '';
      setText('sub-status', 'subscribed to ' + (data.subscribed || []).join(', ') + failed, failed ? 'bad' : 'ok');
    },
    unsubscribe_ack(data) {
      setText('sub-status', 'unsubscribed ' + (data.unsubscribed || []).join(', '));
    },
    data_batch(data) {
      const now = Date.now();
      for (const update of data.updates || []) {
        for (const [point, value] of Object.entries(update.values || {})) {
          const key = update.source + ':' + update.channel_id + ':' + update.data_type + ':' + point;
          showValue(key, update, point, value);
          if (typeof value === 'number') {
            const samples = state.series.get(key) || [];
            samples.push({ t: now, v: value });
            if (samples.length > MAX_SAMPLES) samples.shift();
            state.series.set(key, samples);
          }
        }
      }
      drawChart();
    },
    control_ack(data) {
      const result = data.result || {};
      const detail = result.success ? 'actual value ' + result.actual_value : (result.error || 'failed');
      setText('ctl-result', (data.request_id || '') + ': ' + data.status + ' · ' + detail, result.success ? 'ok' : 'bad');
    },
    room_joined(data) {
      state.room = data.room;
      setText('room-status', 'in room ' + data.room, 'ok');
      showMembers(data.members);
      $('chat-log').replaceChildren();
      for (const entry of data.history || []) addChat(entry, true);
    },
    room_left(data) {
      if (state.room === data.room) state.room = '';
      setText('room-status', 'left ' + data.room);
      $('room-members').replaceChildren();
    },
    member_joined(data) { if (data.room === state.room) showMembers(data.members); },
    member_left(data) { if (data.room === state.room) showMembers(data.members); },
    chat_message(data) { if (!state.room || data.room === state.room) addChat(data, false); },
    history(data) {
      if (data.scope === 'questions') {
        for (const entry of data.messages || []) addEvent('ask-log', entry.kind + ': ' + entry.text);
      } else {
        for (const entry of data.messages || []) addChat(entry, true);
      }
    },
    history_cleared(data) { addEvent('ask-log', 'history cleared ' + (data.room || '')); },
    question_accepted(data) { addEvent('ask-log', 'accepted: task ' + data.task_id + ' (' + data.status + ')'); },
    task_update(data) { addEvent('ask-log', 'task ' + data.task_id + ': ' + data.status); },
    answer(data) {
      const score = typeof data.score === 'number' ? ' (score ' + data.score.toFixed(2) + ', ' + data.source + ')' : '';
      addEvent('ask-log', 'answer: ' + data.answer + score);
    },
    suggestions(data) {
      const list = $('ask-suggestions');
      list.replaceChildren();
      for (const suggestion of data.suggestions || []) {
        const option = document.createElement('option');
        option.value = suggestion.text;
        list.append(option);
      }
      addEvent('ask-log', (data.suggestions || []).length + ' suggestions for “' + (data.prefix || '') + '”');
    },
    menu_update(data) {
      showMenuVersion(data.version, data.checksum, '');
      addEvent('menu-updates', 'v' + data.version + ' changed');
    },
    menu_change(data) {
      const change = data.change || {};
      addEvent('menu-updates', 'v' + data.version + ' ' + (change.type || 'changed') + ' ' + (change.targetName || change.targetId || '')
        + (change.author ? ' by ' + change.author : ''));
    },
    permission_update(data) { addEvent('menu-updates', 'permissions of ' + data.role + ' changed (v' + data.version + ')'); },
    error(data) {
      const request = data.request_id ? ' (request ' + data.request_id + ')' : '';
      showError('error ' + data.code + ': ' + data.message + request);
      if (data.request_id && data.request_id.startsWith('control_')) setText('ctl-result', data.code + ': ' + data.message, 'bad');
    },
  };

  // ---- views ------------------------------------------------------------------------------------------------

  function showValue(key, update, point, value) {
    let row = document.querySelector('#values-body tr[data-key="' + CSS.escape(key) + '"]');
    if (!row) {
      row = document.createElement('tr');
      row.dataset.key = key;
      for (const text of [update.source, update.channel_id, update.data_type, point, '', '']) {
        const cell = document.createElement('td');
        cell.textContent = String(text);
        row.append(cell);
      }
      row.cells[4].className = 'value';
      insertSorted(row, key);
      state.keys.add(key);
      const option = document.createElement('option');
      option.value = key;
      option.textContent = key;
      $('chart-key').append(option);
      // Until someone picks a point, chart the first telemetry (T) point: signals only ever show 0 and 1.
      const isTelemetry = update.data_type === 'T';
      if (!state.chartPinned && (!state.chartKey || (isTelemetry && !state.chartIsTelemetry))) {
        state.chartKey = key;
        state.chartIsTelemetry = isTelemetry;
      }
    }
    const text = typeof value === 'number' ? String(value) : JSON.stringify(value);
    if (row.cells[4].textContent !== text) {
      row.cells[4].textContent = text;
      row.classList.remove('changed');
      void row.offsetWidth;
      row.classList.add('changed');
    }
    row.cells[5].textContent = new Date().toLocaleTimeString();
  }

  function insertSorted(row, key) {
    const body = $('values-body');
    const order = (k) => k.split(':').map((part) => (/^\d+$/.test(part) ? part.padStart(10, '0') : part)).join(':');
    for (const other of body.rows) {
      if (order(other.dataset.key) > order(key)) {
        body.insertBefore(row, other);
        return;
      }
    }
    body.append(row);
  }

  function showMembers(members) {
    const list = $('room-members');
    list.replaceChildren();
    for (const member of members || []) {
      const item = document.createElement('li');
      item.textContent = member;
      list.append(item);
    }
  }

  function addChat(entry, fromHistory) {
    const item = document.createElement('li');
    item.className = 'chat-line' + (fromHistory ? ' history' : '');
    if (entry.message_id) item.dataset.messageId = entry.message_id;
    const time = document.createElement('span');
    time.className = 'chat-time';
    time.textContent = entry.server_time ? new Date(entry.server_time).toLocaleTimeString() : '';
    const user = document.createElement('span');
    user.className = 'chat-user';
    user.textContent = entry.user + ':';
    const content = document.createElement('span');
    content.className = 'chat-content';
    content.textContent = entry.content;
    item.append(time, user, content);
    const log = $('chat-log');
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  function addEvent(listID, text) {
    const item = document.createElement('li');
    item.textContent = new Date().toLocaleTimeString() + ' ' + text;
    $(listID).prepend(item);
  }

  function drawChart() {
    const canvas = $('chart');
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 520;
    const height = canvas.clientHeight || 220;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const left = 56, right = 10, top = 10, bottom = 22;
    const plotWidth = width - left - right, plotHeight = height - top - bottom;
    ctx.strokeStyle = '#d0d7de';
    ctx.strokeRect(left, top, plotWidth, plotHeight);
    const samples = state.series.get(state.chartKey) || [];
    if (samples.length === 0) {
      ctx.fillStyle = '#57606a';
      ctx.font = '13px system-ui, sans-serif';
      ctx.fillText(state.chartKey ? 'no numeric samples of ' + state.chartKey + ' yet' : 'subscribe to see a chart', left + 10, top + 24);
      $('chart-caption').textContent = 'no samples yet';
      return;
    }
    let min = Infinity, max = -Infinity;
    for (const sample of samples) { min = Math.min(min, sample.v); max = Math.max(max, sample.v); }
    if (min === max) { min -= 1; max += 1; }
    const spread = max - min;
    min -= spread * 0.05;
    max += spread * 0.05;
    const first = samples[0].t;
    const last = Math.max(samples[samples.length - 1].t, first + 1000);
    const x = (t) => left + ((t - first) / (last - first)) * plotWidth;
    const y = (v) => top + (1 - (v - min) / (max - min)) * plotHeight;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#57606a';
    ctx.strokeStyle = '#eaeef2';
    for (let step = 0; step <= 4; step += 1) {
      const value = min + ((max - min) * step) / 4;
      const yy = y(value);
      ctx.beginPath();
      ctx.moveTo(left, yy);
      ctx.lineTo(left + plotWidth, yy);
      ctx.stroke();
      ctx.fillText(value.toFixed(2), 4, yy + 4);
    }
    const seconds = Math.round((last - first) / 1000);
    ctx.fillText('−' + seconds + ' s', left, height - 6);
    ctx.fillText('now', left + plotWidth - 22, height - 6);
    ctx.strokeStyle = '#0969da';
    ctx.lineWidth = 2;
    ctx.beginPath();
    samples.forEach((sample, index) => {
      if (index === 0) ctx.moveTo(x(sample.t), y(sample.v));
      else ctx.lineTo(x(sample.t), y(sample.v));
    });
    ctx.stroke();
    const end = samples[samples.length - 1];
    ctx.fillStyle = '#0969da';
    ctx.beginPath();
    ctx.arc(x(end.t), y(end.v), 3.5, 0, Math.PI * 2);
    ctx.fill();
    ctx.lineWidth = 1;
    $('chart-caption').textContent = state.chartKey + ' · last ' + end.v + ' · ' + samples.length + ' samples';
  }

  // ---- forms ------------------------------------------------------------------------------------------------

  function channelList(text) {
    return text.split(/[\s,]+/).filter(Boolean).map(Number);
  }

  $('login-form').addEventListener('submit', login);
  $('login-anon').addEventListener('click', () => { logout(); clearError(); connect(); });
  $('logout').addEventListener('click', logout);
  $('connect').addEventListener('click', () => { clearError(); connect(); });
  $('disconnect').addEventListener('click', disconnect);
  $('error-dismiss').addEventListener('click', clearError);
  $('menu-refresh').addEventListener('click', refreshMenuVersion);
  $('log-clear').addEventListener('click', () => $('frame-log').replaceChildren());
  $('chart-key').addEventListener('change', (event) => {
    state.chartPinned = Boolean(event.target.value);
    state.chartKey = event.target.value;
    state.chartIsTelemetry = false;
    drawChart();
  });
  window.addEventListener('resize', drawChart);

  $('sub-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const channels = channelList($('sub-channels').value);
    if (channels.length === 0 || channels.some((channel) => !Number.isInteger(channel) || channel <= 0)) {
      showError('channels must be positive integers, e.g. 1001,1002');
      return;
    }
    const types = ['T', 'S', 'C', 'A'].filter((type) => $('sub-type-' + type).checked);
    if (types.length === 0) {
      showError('choose at least one data type');
      return;
    }
    const data = { channels, data_types: types, interval: Number($('sub-interval').value) || 1000 };
    const source = $('sub-source').value.trim();
    if (source) data.source = source;
    if (send('subscribe', data)) setText('sub-status', 'subscribing…');
  });
  $('unsub-submit').addEventListener('click', () => send('unsubscribe', {}));

  $('ctl-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const channel = Number($('ctl-channel').value);
    const point = Number($('ctl-point').value);
    const raw = $('ctl-value').value.trim();
    const value = raw === 'true' ? true : raw === 'false' ? false : Number(raw);
    if (!Number.isInteger(channel) || !Number.isInteger(point) || raw === '' || (typeof value === 'number' && !Number.isFinite(value))) {
      showError('control needs an integer channel and point and a numeric value (0 is valid)');
      return;
    }
    const data = { channel_id: channel, point_id: point, value, type: $('ctl-type').value, command_type: 'set_value' };
    const source = $('sub-source').value.trim();
    if (source) data.source = source;
    if (send('control', data)) setText('ctl-result', 'waiting for control_ack…');
  });

  $('room-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const room = $('room-name').value.trim();
    if (!room) { showError('enter a room name'); return; }
    if (send('join_room', { room })) setText('room-status', 'joining ' + room + '…');
  });
  $('room-leave').addEventListener('click', () => {
    const room = state.room || $('room-name').value.trim();
    if (room) send('leave_room', { room });
  });
  $('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const content = $('chat-input').value;
    const room = state.room;
    if (!room) { showError('join a room before chatting'); return; }
    if (!content.trim()) return;
    if (send('chat_message', { room, content })) $('chat-input').value = '';
  });

  $('ask-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const question = $('ask-input').value.trim();
    if (!question) return;
    if (send('ask_question', { question })) $('ask-input').value = '';
  });
  $('ask-suggest').addEventListener('click', () => send('get_suggestions', { prefix: $('ask-input').value.trim() }));

  $('raw-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) { showError('not connected'); return; }
    const text = $('raw-input').value;
    state.ws.send(text);
    log('out', text);
  });

  showSession();
  refreshMenuVersion();
  drawChart();
})();
