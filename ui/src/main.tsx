import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App, { makeQueryClient, startRoute } from './App';
import { themeStore } from './components/theme/theme';
import './styles.css';

// Before the first render, so a dark system never flashes light.
themeStore();

// The page asked for starts loading its chunk and its data before the
// first render, side by side, instead of one after the other.
const client = makeQueryClient();
startRoute(client, window.location.pathname, window.location.search);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App client={client} />
  </StrictMode>,
);
