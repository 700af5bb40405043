import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import CartPoleDqn from './components/CartPoleDqn.vue';
import './style.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('CartPoleDqn', CartPoleDqn);
  },
} satisfies Theme;
