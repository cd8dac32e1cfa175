/** The rating buttons' faces, drawn inline (no emoji font needed on a cheap tablet). */
const COLORS = ['#b91c1c', '#ea580c', '#ca8a04', '#65a30d', '#15803d'];

/** mood 0 (very unhappy) to 4 (very happy). */
export function Face({ mood }: { mood: number }) {
  const m = Math.max(0, Math.min(4, mood));
  // The mouth: from a frown (control point above) to a wide smile (below).
  const curve = [-9, -5, 0, 6, 11][m];
  return (
    <svg class="face" viewBox="0 0 64 64" aria-hidden="true">
      <circle cx="32" cy="32" r="29" fill={COLORS[m]} />
      <circle cx="22" cy="26" r="4.2" fill="#fff" />
      <circle cx="42" cy="26" r="4.2" fill="#fff" />
      {curve === 0
        ? <path d="M20 44 H44" stroke="#fff" stroke-width="4.5" stroke-linecap="round" fill="none" />
        : <path d={`M19 ${curve > 0 ? 40 : 47} Q32 ${(curve > 0 ? 40 : 47) + curve * 1.6} 45 ${curve > 0 ? 40 : 47}`} stroke="#fff" stroke-width="4.5" stroke-linecap="round" fill="none" />}
    </svg>
  );
}

/** The labels and faces of a scale: five levels or three, as the question's scale says. */
export function scaleChoices(scaleMax: number): { value: number; label: string; mood: number }[] {
  if (scaleMax === 5) {
    return [
      { value: 1, label: 'Rất không hài lòng', mood: 0 },
      { value: 2, label: 'Không hài lòng', mood: 1 },
      { value: 3, label: 'Bình thường', mood: 2 },
      { value: 4, label: 'Hài lòng', mood: 3 },
      { value: 5, label: 'Rất hài lòng', mood: 4 },
    ];
  }
  if (scaleMax === 3) {
    return [
      { value: 1, label: 'Không hài lòng', mood: 0 },
      { value: 2, label: 'Hài lòng', mood: 3 },
      { value: 3, label: 'Rất hài lòng', mood: 4 },
    ];
  }
  return Array.from({ length: scaleMax }, (_, i) => ({ value: i + 1, label: String(i + 1), mood: Math.round((i * 4) / Math.max(1, scaleMax - 1)) }));
}
