// First of all, main's start folder: its listing comes while the window mounts.
import { start } from './early-start';
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import './styles/common.css';

const target = document.getElementById('app');
if (!target) throw new Error('The #app element is missing from index.html.');

export default mount(App, { target, props: { start } });
