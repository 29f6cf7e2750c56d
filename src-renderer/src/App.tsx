export function App() {
  return <div className="app">nChat Console</div>
}
