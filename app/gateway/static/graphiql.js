// Starts GraphiQL on Newsgate's page (app/gateway/graphiql.py). Everything it needs is
// served by Newsgate from /graphiql/vendor: no CDN, no inline script.
(function () {
  "use strict";
  const root = document.getElementById("graphiql");
  // GraphiQL's dialogs insert a <style> element; the page's Content-Security-Policy lets
  // it in with this response's nonce, which the bundled code reads from this global.
  window.__webpack_nonce__ = root.dataset.nonce;

  const example = `# Newsgate's news API. Run this with Ctrl-Enter
# or the ▶ button; Docs and Explorer on the left
# list every type and field.
#
# Partners: put your API key in Headers below,
#   {"X-API-Key": "ng_..."}
# editors their token:
#   {"Authorization": "Bearer ..."}

query FrontPage {
  articles(first: 5) {
    totalCount
    edges {
      node {
        title
        slug
        publishedAt
        author { name }
        category { name }
        tags { name }
        viewCount
      }
    }
    pageInfo { hasNextPage endCursor }
  }
  trendingArticles(first: 3) { rank article { title } }
}
`;

  const fetcher = GraphiQL.createFetcher({ url: root.dataset.endpoint });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: example,
      defaultEditorToolsVisibility: "headers",
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    }),
  );
})();
