import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App';
import { themeStore } from './components/theme/theme';
import './styles.css';

// Before the first render, so a dark system never flashes light.
themeStore();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
