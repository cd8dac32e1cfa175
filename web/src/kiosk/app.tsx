import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { graphql, vietnamYear } from '../shared/graphql';
import { Face, scaleChoices } from './faces';
import { checkToken, discard, enqueue, flush, newClientId, type Queued, queued } from './queue';

/**
 * The kiosk at a reception desk. Provisioned once with /kiosk?token=…: the
 * token is kept in this browser and taken out of the address bar. Then,
 * over and over: welcome, the open year's questions one per screen, an
 * optional procedure code, thanks. Every completed response goes to the
 * IndexedDB queue first, then to the service (queue.ts).
 */

interface Question { code: string; text: string; element: string; scaleMax: number; satisfiedMin: number }
type Screen = { name: 'welcome' } | { name: 'question'; index: number } | { name: 'procedure' } | { name: 'thanks' } | { name: 'staff' };

const TOKEN_KEY = 'par-kiosk-token';
const NAME_KEY = 'par-kiosk-name';
const DISABLED_KEY = 'par-kiosk-disabled';
const QUESTIONS_KEY = 'par-kiosk-questionnaire';
/** Back to the welcome screen after this long without a touch in the middle of a response. */
const IDLE_MS = 60_000;
const THANKS_MS = 6_000;
const RETRY_MIN_MS = 3_000;
const RETRY_MAX_MS = 60_000;
const HEARTBEAT_MS = 5 * 60_000;
const PROCEDURE = /^[A-Z0-9_.-]{1,64}$/;

/** Takes ?token= (and an optional ?name= shown on the welcome screen) into local storage and out of the URL. */
function provision(): string | null {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.removeItem(DISABLED_KEY);
    const name = url.searchParams.get('name');
    if (name) localStorage.setItem(NAME_KEY, name);
    url.searchParams.delete('token');
    url.searchParams.delete('name');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return localStorage.getItem(TOKEN_KEY);
}

function cachedQuestions(year: number): Question[] | null {
  try {
    const c = JSON.parse(localStorage.getItem(QUESTIONS_KEY) ?? 'null') as { year: number; questions: Question[] } | null;
    return c && c.year === year ? c.questions : null;
  } catch {
    return null;
  }
}

export function Kiosk() {
  const [token] = useState(provision);
  const [disabled, setDisabled] = useState(() => localStorage.getItem(DISABLED_KEY) === '1');
  const [year] = useState(() => vietnamYear());
  const [questions, setQuestions] = useState<Question[] | null>(() => cachedQuestions(year));
  const [questionsFailed, setQuestionsFailed] = useState(false);
  const [screen, setScreen] = useState<Screen>({ name: 'welcome' });
  const [answers, setAnswers] = useState<Record<string, number>>({});
  const [procedure, setProcedure] = useState('');
  const [queue, setQueue] = useState<Queued[]>([]);
  const retryDelay = useRef(RETRY_MIN_MS);
  const retryTimer = useRef<number | undefined>(undefined);

  const refresh = useCallback(async () => setQueue(await queued()), []);
  const disable = useCallback(() => {
    localStorage.setItem(DISABLED_KEY, '1');
    setDisabled(true);
  }, []);

  const send = useCallback(async () => {
    if (!token || localStorage.getItem(DISABLED_KEY) === '1') return;
    clearTimeout(retryTimer.current);
    const outcome = await flush(token);
    await refresh();
    if (outcome === 'disabled') disable();
    else if (outcome === 'retry') {
      retryTimer.current = window.setTimeout(send, retryDelay.current);
      retryDelay.current = Math.min(retryDelay.current * 2, RETRY_MAX_MS);
    } else retryDelay.current = RETRY_MIN_MS;
  }, [token]);

  // The questionnaire of the current year (kept for starts without network), the queue, the token's state.
  useEffect(() => {
    graphql<{ questionnaire: Question[] }>(`query Questionnaire($year: Int!) { questionnaire(year: $year) { code text element scaleMax satisfiedMin } }`, { year })
      .then((d) => {
        localStorage.setItem(QUESTIONS_KEY, JSON.stringify({ year, questions: d.questionnaire }));
        setQuestions(d.questionnaire);
      }, () => setQuestionsFailed(true));
    refresh().then(send);
    const heartbeat = () => {
      if (!token) return;
      checkToken(token).then((state) => {
        if (state === 'disabled') disable();
        if (state === 'ok' && localStorage.getItem(DISABLED_KEY) === '1') {
          localStorage.removeItem(DISABLED_KEY);
          setDisabled(false);
        }
      });
    };
    heartbeat();
    const beat = setInterval(heartbeat, HEARTBEAT_MS);
    const online = () => {
      retryDelay.current = RETRY_MIN_MS;
      send();
    };
    addEventListener('online', online);
    return () => {
      clearInterval(beat);
      removeEventListener('online', online);
    };
  }, []);

  const reset = useCallback(() => {
    setAnswers({});
    setProcedure('');
    setScreen({ name: 'welcome' });
  }, []);

  const complete = useCallback(async (given: Record<string, number>, procedureCode: string) => {
    const list = Object.entries(given).map(([questionCode, value]) => ({ questionCode, value }));
    if (list.length > 0) {
      await enqueue({
        clientId: newClientId(), submittedAt: new Date().toISOString(), answers: list,
        ...(procedureCode ? { procedureCode } : {}),
      });
      await refresh();
      send();
    }
    setAnswers({});
    setProcedure('');
    setScreen({ name: 'thanks' });
  }, [send]);

  // Idle: a response left half-way is dropped; one left on the procedure screen is complete and kept.
  useEffect(() => {
    if (screen.name === 'welcome') return;
    const timeout = screen.name === 'thanks' ? THANKS_MS : IDLE_MS;
    let timer = window.setTimeout(onIdle, timeout);
    function onIdle() {
      if (screen.name === 'procedure') complete(answers, '').then(reset);
      else reset();
    }
    const touch = () => {
      clearTimeout(timer);
      timer = window.setTimeout(onIdle, timeout);
    };
    addEventListener('pointerdown', touch);
    addEventListener('keydown', touch);
    return () => {
      clearTimeout(timer);
      removeEventListener('pointerdown', touch);
      removeEventListener('keydown', touch);
    };
  }, [screen, answers]);

  const waiting = queue.filter((q) => q.state === 'waiting').length;
  const rejected = queue.filter((q) => q.state === 'rejected');
  const status = (
    <div class="queue" data-testid="queue" data-waiting={waiting} data-rejected={rejected.length} aria-live="polite">
      {waiting > 0 && <span class="waiting">{waiting} phiếu chờ gửi</span>}
      {rejected.length > 0 && screen.name !== 'staff' && (
        <button type="button" class="rejected" onClick={() => setScreen({ name: 'staff' })}>{rejected.length} phiếu bị từ chối</button>
      )}
    </div>
  );

  if (!token) {
    return (
      <main class="screen center">
        <h1>Kiosk chưa được cài đặt</h1>
        <p class="lead">Cán bộ quản trị mở trang này một lần với mã kiosk: <code>/kiosk?token=…</code></p>
      </main>
    );
  }
  if (disabled) {
    return (
      <main class="screen center disabled" data-testid="disabled">
        <div class="stop" aria-hidden="true">!</div>
        <h1>Kiosk đã ngừng hoạt động</h1>
        <p class="lead">Mã của kiosk này đã bị thu hồi. Xin vui lòng liên hệ cán bộ quản trị để được cấp lại.</p>
        <p class="small">Kiosk disabled: its token was revoked.{queue.length > 0 ? ` ${queue.length} phiếu vẫn được giữ trên máy.` : ''}</p>
      </main>
    );
  }
  if (!questions || questions.length === 0) {
    return (
      <main class="screen center">
        <h1>{questions ? `Chưa có bộ câu hỏi năm ${year}` : questionsFailed ? 'Chưa tải được bộ câu hỏi' : 'Đang tải…'}</h1>
        {questionsFailed && <p class="lead">Kiosk sẽ hoạt động khi có kết nối mạng.</p>}
        {status}
      </main>
    );
  }

  if (screen.name === 'staff') {
    return (
      <main class="screen staff">
        <h1>Phiếu bị từ chối</h1>
        <p>Dịch vụ đã từ chối các phiếu dưới đây; chúng được giữ lại trên máy để cán bộ kiểm tra.</p>
        <ul class="rejected-list" data-testid="rejected-list">
          {rejected.map((q) => (
            <li>
              <div><strong>{new Date(q.input.submittedAt).toLocaleString('vi-VN')}</strong> · {q.input.answers.length} câu trả lời</div>
              <div class="reason">{q.error?.message ?? 'Không rõ lý do'}{q.error?.field ? ` (${q.error.field})` : ''}</div>
              <button type="button" class="ghost" onClick={async () => { await discard(q.input.clientId); await refresh(); }}>Xoá phiếu này</button>
            </li>
          ))}
        </ul>
        <button type="button" class="primary" onClick={reset}>Quay lại</button>
      </main>
    );
  }

  if (screen.name === 'welcome') {
    const name = localStorage.getItem(NAME_KEY);
    return (
      <main class="screen center welcome">
        {name && <p class="unit-name">{name}</p>}
        <h1>Xin mời Ông/Bà đánh giá mức độ hài lòng</h1>
        <p class="lead">về việc giải quyết thủ tục hành chính hôm nay. Chỉ mất khoảng một phút.</p>
        <button type="button" class="primary big" onClick={() => setScreen({ name: 'question', index: 0 })}>Bắt đầu đánh giá</button>
        {status}
      </main>
    );
  }

  if (screen.name === 'thanks') {
    return (
      <main class="screen center thanks" data-testid="thanks">
        <Face mood={4} />
        <h1>Xin cảm ơn Ông/Bà!</h1>
        <p class="lead">Ý kiến của Ông/Bà đã được ghi nhận.</p>
        <button type="button" class="primary" onClick={reset}>Xong</button>
        {status}
      </main>
    );
  }

  if (screen.name === 'procedure') {
    const valid = procedure === '' || PROCEDURE.test(procedure);
    return (
      <main class="screen procedure">
        <p class="progress">Thông tin thêm (không bắt buộc)</p>
        <h1><label for="procedure">Mã thủ tục Ông/Bà vừa thực hiện</label></h1>
        <input id="procedure" class="code" value={procedure} autocomplete="off" autocapitalize="characters" spellcheck={false}
          aria-describedby="procedure-help" aria-invalid={!valid}
          onInput={(e) => setProcedure(e.currentTarget.value.toUpperCase().replace(/\s+/g, '_'))} />
        <p id="procedure-help" class={valid ? 'help' : 'help bad'}>
          {valid ? 'Có trên giấy biên nhận hồ sơ, ví dụ CHUNG_THUC. Có thể bỏ qua.' : 'Mã chỉ gồm chữ không dấu, số và các dấu _ . -'}
        </p>
        <div class="actions">
          <button type="button" class="ghost" onClick={() => setScreen({ name: 'question', index: questions.length - 1 })}>Quay lại</button>
          <button type="button" class="ghost" onClick={() => complete(answers, '')}>Bỏ qua</button>
          <button type="button" class="primary" disabled={!valid} onClick={() => complete(answers, procedure)}>Gửi đánh giá</button>
        </div>
        {status}
      </main>
    );
  }

  const q = questions[screen.index];
  const next = (given: Record<string, number>) => {
    if (screen.index + 1 < questions.length) setScreen({ name: 'question', index: screen.index + 1 });
    else if (Object.keys(given).length > 0) setScreen({ name: 'procedure' });
    else reset();
  };
  return (
    <main class="screen question" data-question={q.code}>
      <p class="progress">Câu {screen.index + 1}/{questions.length}
        <span class="bar" aria-hidden="true"><span style={{ width: `${((screen.index + 1) * 100) / questions.length}%` }} /></span>
      </p>
      <h1 id="question-text">{q.text}</h1>
      <div class={`choices n${scaleChoices(q.scaleMax).length}`} role="group" aria-labelledby="question-text">
        {scaleChoices(q.scaleMax).map((c) => (
          <button type="button" class={`choice${answers[q.code] === c.value ? ' chosen' : ''}`} data-value={c.value}
            aria-pressed={answers[q.code] === c.value}
            onClick={() => {
              const given = { ...answers, [q.code]: c.value };
              setAnswers(given);
              next(given);
            }}>
            <Face mood={c.mood} />
            <span>{c.label}</span>
          </button>
        ))}
      </div>
      <div class="actions">
        <button type="button" class="ghost" onClick={() => (screen.index === 0 ? reset() : setScreen({ name: 'question', index: screen.index - 1 }))}>
          {screen.index === 0 ? 'Huỷ' : 'Quay lại'}
        </button>
        <button type="button" class="ghost" onClick={() => {
          const given = { ...answers };
          delete given[q.code];
          setAnswers(given);
          next(given);
        }}>Bỏ qua câu này</button>
      </div>
      {status}
    </main>
  );
}
