/**
 * The fonts Grafana serves with its pages (theme.typography: Inter, and Roboto Mono for code), so the
 * harnesses render text with Grafana's metrics rather than whatever the test machine happens to have.
 */
import '@fontsource/inter/400.css';
import '@fontsource/inter/500.css';
import '@fontsource/roboto-mono/400.css';
