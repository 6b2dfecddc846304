namespace KShotNas.Study.Tests;

/// <summary>The pick check's rows and its table.</summary>
public class PickCheckTests
{
    [Fact]
    public void PickCheckRowsRoundTripAndBadLinesAreNamed()
    {
        var row = new PickCheckRow(PickCheckRole.BestReference, "|nor_conv_3x3~0|+|", 123, 45, 0.875, 2, 0.8812, 33.3);
        Assert.Equal(row, PickCheckRow.Parse(row.ToCsv(), 2));
        var noRef = row with { ReferenceAccuracy = null };
        Assert.Equal(noRef, PickCheckRow.Parse(noRef.ToCsv(), 2));
        var e = Assert.Throws<FormatException>(() => PickCheckRow.Parse("pick,|a|,1,2,,x,0.5,1", 7));
        Assert.Contains("line 7", e.Message);
    }

    [Fact]
    public void PickCheckTableComparesThePickWithTheMedianRandomCellAndTheBestReference()
    {
        var rows = new List<PickCheckRow>
        {
            new(PickCheckRole.Pick, "|p|", 80, 1, null, 0, 0.86, 1), new(PickCheckRole.Pick, "|p|", 80, 1, null, 1, 0.88, 1),
            new(PickCheckRole.BestReference, "|b|", 90, 1, 0.9, 0, 0.87, 1), new(PickCheckRole.BestReference, "|b|", 90, 1, 0.9, 1, 0.87, 1),
            new(PickCheckRole.Random, "|r1|", 50, 1, null, 0, 0.80, 1), new(PickCheckRole.Random, "|r2|", 60, 1, null, 0, 0.84, 1),
            new(PickCheckRole.Random, "|r3|", 70, 1, null, 0, 0.88, 1),
        };
        var md = PickCheckTable.Markdown(rows, 100);
        Assert.Contains("| pick | `\\|p\\|` | 80 | 80 % |", md); // '|' escaped inside the table
        Assert.Contains("against the median of 3 random cells under the budget 84.00 %: **+3.00 points**", md);
        Assert.Contains("the pick beats 2 of 3", md);
        // pick 0.87 ± 0.01414 (2 seeds) vs best 0.87 ± 0: difference 0, standard error 0.01 = 1.00 points
        Assert.Contains("+0.00 points, standard error 1.00 points", md);
    }
}
