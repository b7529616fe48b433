export default function Home() {
  return <h1>MemStore</h1>;
}
