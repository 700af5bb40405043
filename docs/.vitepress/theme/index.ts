import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import CartPoleDqn from './components/CartPoleDqn.vue';
import MuralMaze from './components/MuralMaze.vue';
import DiffuserPlanner from './components/DiffuserPlanner.vue';
import './style.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('CartPoleDqn', CartPoleDqn);
    app.component('MuralMaze', MuralMaze);
    app.component('DiffuserPlanner', DiffuserPlanner);
  },
} satisfies Theme;
