import {
  BarController, BarElement, CategoryScale, Chart, type ChartConfiguration, Legend, LinearScale, LineController, LineElement,
  PointElement, Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

// Only what the portal draws: bars and lines (tree-shaken Chart.js).
Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);
Chart.defaults.font.family = 'system-ui, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", "DejaVu Sans", Arial, sans-serif';
Chart.defaults.color = '#1f2937';
Chart.defaults.animation = false;

/** The band colours, best band first; the same as the labels' (portal.css .band-N). */
export const TONES = ['#166534', '#1d4ed8', '#854d0e', '#c2410c', '#b91c1c'];
export const ACCENT = '#b91c1c';
export const MUTED = '#6b7280';

/**
 * A Chart.js canvas described for screen readers (`label`); the figures
 * themselves are also in a table beside every chart.
 */
export function ChartView({ config, label, height = 260 }: { config: ChartConfiguration; label: string; height?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const key = JSON.stringify(config.data) + JSON.stringify(config.options ?? {});
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      ...config,
      options: { locale: 'vi-VN', responsive: true, maintainAspectRatio: false, ...config.options },
    });
    return () => chart.destroy();
  }, [key]);
  return (
    <div class="chart" style={{ height: `${height}px` }}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
