import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import CartPoleDqn from './components/CartPoleDqn.vue';
import MuralMaze from './components/MuralMaze.vue';
import DiffuserPlanner from './components/DiffuserPlanner.vue';
import Dr3Features from './components/Dr3Features.vue';
import OfflineRl from './components/OfflineRl.vue';
import './style.css';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('CartPoleDqn', CartPoleDqn);
    app.component('MuralMaze', MuralMaze);
    app.component('DiffuserPlanner', DiffuserPlanner);
    app.component('Dr3Features', Dr3Features);
    app.component('OfflineRl', OfflineRl);
  },
} satisfies Theme;
