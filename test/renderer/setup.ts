// Matchers such as toBeVisible / toHaveValue for the renderer's component tests.
import '@testing-library/jest-dom/vitest';
